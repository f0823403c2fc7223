// The release of this code and the protocol package it speaks.
#ifndef MBRL_COMMON_VERSION_H_
#define MBRL_COMMON_VERSION_H_

namespace mbrl {

inline constexpr char kMbrlVersion[] = "0.1.0";
inline constexpr char kProtocolPackage[] = "mbrl.v1";

}  // namespace mbrl

#endif  // MBRL_COMMON_VERSION_H_
