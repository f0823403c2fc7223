#!/usr/bin/python3
"""Independent Python transcriptions of the classic-control reference environments (gym,
mbrl-lib, PETS, rllab), used to produce the literal expected values in actors/envs/*_test.cc.

Initial states use the same SplitMix64 draws as actors/envs/random.h, so `python3 THIS` prints,
for each env, the observations and rewards of the first steps after Reset(seed) under a fixed
action sequence. Only the standard library is needed."""
import math

M64 = (1 << 64) - 1


class EnvRandom:  # actors/envs/random.h
    def __init__(self, seed):
        self.state = seed & M64

    def bits(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & M64
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
        return z ^ (z >> 31)

    def uniform(self, low, high):
        return low + (high - low) * ((self.bits() >> 11) * 2.0**-53)

    def normal(self):
        u1 = 1.0 - self.uniform(0.0, 1.0)
        u2 = self.uniform(0.0, 1.0)
        return math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)


def f32(x):
    import struct
    return struct.unpack("f", struct.pack("f", x))[0]


def cartpole_step(s, a):  # gym cartpole.py, force = 10 a
    x, x_dot, theta, theta_dot = s
    gravity, masscart, masspole = 9.8, 1.0, 0.1
    total_mass = masspole + masscart
    length = 0.5
    polemass_length = masspole * length
    tau = 0.02
    force = a * 10.0
    costheta, sintheta = math.cos(theta), math.sin(theta)
    temp = (force + polemass_length * theta_dot**2 * sintheta) / total_mass
    thetaacc = (gravity * sintheta - costheta * temp) / (
        length * (4.0 / 3.0 - masspole * costheta**2 / total_mass))
    xacc = temp - polemass_length * thetaacc * costheta / total_mass
    return (x + tau * x_dot, x_dot + tau * xacc, theta + tau * theta_dot, theta_dot + tau * thetaacc)


def cartpole(seed, actions):
    r = EnvRandom(seed)
    s = tuple(r.uniform(-0.05, 0.05) for _ in range(4))
    out = [(list(s), None, None)]
    th = 12 * 2 * math.pi / 360
    for a in actions:
        s = cartpole_step(s, a)
        done = s[0] < -2.4 or s[0] > 2.4 or s[2] < -th or s[2] > th
        out.append((list(s), 1.0, done))
    return out


def swingup(seed, actions):
    r = EnvRandom(seed)
    s = (0.1 * r.normal(), 0.1 * r.normal(), math.pi + 0.1 * r.normal(), 0.1 * r.normal())

    def obs(s):
        return [s[0], s[1], math.cos(s[2]), math.sin(s[2]), s[3]]

    out = [(obs(s), None, None)]
    for a in actions:
        s = cartpole_step(s, a)
        # PETS: ee = (x - 0.6 sin(phi), -0.6 cos(phi)) with phi = theta + pi (hanging = 0).
        phi = s[2] + math.pi
        ee = (s[0] - 0.6 * math.sin(phi), -0.6 * math.cos(phi))
        reward = math.exp(-((ee[0] - 0.0)**2 + (ee[1] - 0.6)**2) / 0.6**2) - 0.01 * a * a
        out.append((obs(s), reward, False))
    return out


def mountain_car(seed, actions):  # gym continuous_mountain_car.py
    r = EnvRandom(seed)
    position, velocity = f32(r.uniform(-0.6, -0.4)), 0.0
    out = [([position, velocity], None, None)]
    for a in actions:
        force = min(max(a, -1.0), 1.0)
        velocity += force * 0.0015 - 0.0025 * math.cos(3 * position)
        velocity = min(max(velocity, -0.07), 0.07)
        position += velocity
        position = min(max(position, -1.2), 0.6)
        if position == -1.2 and velocity < 0:
            velocity = 0
        done = bool(position >= 0.45 and velocity >= 0)
        reward = (100.0 if done else 0.0) - a * a * 0.1
        position, velocity = f32(position), f32(velocity)
        out.append(([position, velocity], reward, done))
    return out


def acrobot(seed, torques):  # gym acrobot.py, book dynamics, continuous torque
    def dsdt(s, a):
        m1 = m2 = l1 = 1.0
        lc1 = lc2 = 0.5
        I1 = I2 = 1.0
        g = 9.8
        theta1, theta2, dtheta1, dtheta2 = s
        d1 = m1 * lc1**2 + m2 * (l1**2 + lc2**2 + 2 * l1 * lc2 * math.cos(theta2)) + I1 + I2
        d2 = m2 * (lc2**2 + l1 * lc2 * math.cos(theta2)) + I2
        phi2 = m2 * lc2 * g * math.cos(theta1 + theta2 - math.pi / 2.0)
        phi1 = (-m2 * l1 * lc2 * dtheta2**2 * math.sin(theta2)
                - 2 * m2 * l1 * lc2 * dtheta2 * dtheta1 * math.sin(theta2)
                + (m1 * lc1 + m2 * l1) * g * math.cos(theta1 - math.pi / 2) + phi2)
        ddtheta2 = (a + d2 / d1 * phi1 - m2 * l1 * lc2 * dtheta1**2 * math.sin(theta2) - phi2) / (
            m2 * lc2**2 + I2 - d2**2 / d1)
        ddtheta1 = -(d1 * ddtheta2 + phi1) / d1
        return [dtheta1, dtheta2, ddtheta1, ddtheta2]

    def wrap(x, m, M):
        diff = M - m
        while x > M:
            x = x - diff
        while x < m:
            x = x + diff
        return x

    def rk4(y0, a, dt=0.2):
        dt2 = dt / 2.0
        k1 = dsdt(y0, a)
        k2 = dsdt([y + dt2 * k for y, k in zip(y0, k1)], a)
        k3 = dsdt([y + dt2 * k for y, k in zip(y0, k2)], a)
        k4 = dsdt([y + dt * k for y, k in zip(y0, k3)], a)
        return [y + dt / 6.0 * (a1 + 2 * a2 + 2 * a3 + a4)
                for y, a1, a2, a3, a4 in zip(y0, k1, k2, k3, k4)]

    def obs(s):
        return [math.cos(s[0]), math.sin(s[0]), math.cos(s[1]), math.sin(s[1]), s[2], s[3]]

    r = EnvRandom(seed)
    s = [f32(r.uniform(-0.1, 0.1)) for _ in range(4)]
    out = [(obs(s), None, None)]
    for a in torques:
        ns = rk4(s, a)
        ns[0] = wrap(ns[0], -math.pi, math.pi)
        ns[1] = wrap(ns[1], -math.pi, math.pi)
        ns[2] = min(max(ns[2], -4 * math.pi), 4 * math.pi)
        ns[3] = min(max(ns[3], -9 * math.pi), 9 * math.pi)
        s = ns
        done = bool(-math.cos(s[0]) - math.cos(s[1] + s[0]) > 1.0)
        out.append((obs(s), 0.0 if done else -1.0, done))
    return out


def point2d(seed, actions):  # rllab PointEnv
    r = EnvRandom(seed)
    s = [r.uniform(-1, 1), r.uniform(-1, 1)]
    out = [(list(s), None, None)]
    for a in actions:
        s = [s[0] + min(max(a[0], -0.1), 0.1), s[1] + min(max(a[1], -0.1), 0.1)]
        out.append((list(s), -math.sqrt(s[0]**2 + s[1]**2), abs(s[0]) < 0.01 and abs(s[1]) < 0.01))
    return out


def mock_line(actions):  # mbrl-lib MockLineEnv
    pos, vel = 1.0, 0.0
    out = [([pos, vel], None, None)]
    for a in actions:
        vel += a
        pos += vel
        out.append(([pos, vel], -0.001 * pos**2, False))
    return out


def show(name, rows):
    print(name)
    for obs, reward, done in rows:
        print("  {{{%s}, %r, %s}," % (", ".join(repr(x) for x in obs), reward,
                                     "true" if done else "false"))


if __name__ == "__main__":
    show("CartPole seed 5, actions [1, -1, 0.5, 1, 1]", cartpole(5, [1, -1, 0.5, 1, 1]))
    show("CartPoleSwingUp seed 6, actions [1, 1, -0.5, 0]", swingup(6, [1, 1, -0.5, 0]))
    show("MountainCarContinuous seed 7, actions [1, 1, -1, 0.3]", mountain_car(7, [1, 1, -1, 0.3]))
    show("Acrobot seed 8, torques [1, -1, 0.5, 1]", acrobot(8, [1, -1, 0.5, 1]))
    show("Point2D seed 9, actions [(0.1, -0.1), (0.05, 0.02), (-0.1, 0.1)]",
         point2d(9, [(0.1, -0.1), (0.05, 0.02), (-0.1, 0.1)]))
    show("MockLine, actions [-1, 0.5, 1]", mock_line([-1, 0.5, 1]))
