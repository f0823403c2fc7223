// The random numbers environments draw their initial states from: a small, fully specified
// generator (SplitMix64) so that an episode's start is the same for a seed on every platform and
// standard library (std:: distributions are implementation-defined).
#ifndef MBRL_ACTORS_ENVS_RANDOM_H_
#define MBRL_ACTORS_ENVS_RANDOM_H_

#include <cmath>
#include <cstdint>

namespace mbrl::envs {

// Not thread-safe; cheap to copy. The sequence is a pure function of the seed.
class EnvRandom {
 public:
  explicit EnvRandom(uint64_t seed) : state_(seed) {}

  // 64 uniformly distributed bits (SplitMix64, Steele, Lea and Flood 2014).
  uint64_t NextBits() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

  // Uniform in [low, high).
  double Uniform(double low, double high) {
    return low + (high - low) * (static_cast<double>(NextBits() >> 11) * 0x1.0p-53);
  }

  // Standard normal (Box-Muller; each call consumes two draws).
  double Normal() {
    const double u1 = 1.0 - Uniform(0.0, 1.0);  // (0, 1]: log(u1) is finite
    const double u2 = Uniform(0.0, 1.0);
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
  }

 private:
  uint64_t state_;
};

// A seed derived from (`seed`, `stream`) for independent streams, e.g. the k-th episode of an
// env: different streams of one seed do not overlap in practice, and MixSeed(s, 0) != s.
inline uint64_t MixSeed(uint64_t seed, uint64_t stream) {
  EnvRandom random(seed ^ (0x632be59bd9b4e019ULL * (stream + 1)));
  return random.NextBits();
}

}  // namespace mbrl::envs

#endif  // MBRL_ACTORS_ENVS_RANDOM_H_
