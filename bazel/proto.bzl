"""mbrl_proto_library: C++ messages (and optionally gRPC stubs) from one .proto file, offline.

`cc_grpc_library` needs network-fetched rules, so this macro runs Debian's `protoc` and
`grpc_cpp_plugin` in a genrule and wraps the generated sources in a cc_library.

Proto files live under //proto with import paths relative to proto/ (e.g.
`import "mbrl/v1/tensor.proto";`), and C++ code includes the generated headers the same way
(`#include "mbrl/v1/tensor.pb.h"`).

Targets made for `name` with `src = "mbrl/v1/foo.proto"`:
  name            cc_library of the generated code (messages, plus stubs if grpc = True)
  name + "_srcs"  filegroup of this .proto and every .proto it imports (for other languages)
"""

_PROTOC = "/usr/bin/protoc"
_GRPC_CPP_PLUGIN = "/usr/bin/grpc_cpp_plugin"

def mbrl_proto_library(name, src, deps = [], grpc = False, visibility = None):
    """Generates C++ for `src`; `deps` are other mbrl_proto_library targets it imports."""
    if not src.endswith(".proto"):
        fail("src must be a .proto file: " + src)
    stem = src[:-len(".proto")]
    outs = [stem + ".pb.h", stem + ".pb.cc"]
    if grpc:
        outs += [stem + ".grpc.pb.h", stem + ".grpc.pb.cc"]

    native.filegroup(
        name = name + "_srcs",
        srcs = [src] + [d + "_srcs" for d in deps],
        visibility = visibility,
    )

    grpc_args = ""
    if grpc:
        grpc_args = (" --plugin=protoc-gen-grpc=" + _GRPC_CPP_PLUGIN +
                     " --grpc_out=$(GENDIR)/" + native.package_name())
    native.genrule(
        name = name + "_codegen",
        srcs = [src, name + "_srcs"],
        outs = outs,
        cmd = (_PROTOC + " --proto_path=" + native.package_name() +
               " --proto_path=/usr/include" +
               " --cpp_out=$(GENDIR)/" + native.package_name() + grpc_args +
               " $(location " + src + ")"),
        message = "protoc " + src,
    )

    native.cc_library(
        name = name,
        srcs = [o for o in outs if o.endswith(".cc")],
        hdrs = [o for o in outs if o.endswith(".h")],
        includes = ["."],
        copts = ["-Wno-unused-parameter", "-Wno-deprecated-declarations"],
        deps = deps + ["@system//:protobuf"] + (["@system//:grpc"] if grpc else []),
        visibility = visibility,
    )
