#include "cli/subcommand.h"

#include <algorithm>

#include "absl/container/flat_hash_set.h"
#include "absl/flags/commandlineflag.h"
#include "absl/flags/reflection.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"

namespace mbrl::cli {
namespace {

// The subcommand whose (possibly multi-word) name is the longest prefix of `args`.
const Subcommand* Match(absl::Span<const Subcommand> table, const std::vector<std::string>& args,
                        size_t* words) {
  const Subcommand* best = nullptr;
  *words = 0;
  for (const Subcommand& subcommand : table) {
    const std::vector<std::string> name = absl::StrSplit(subcommand.name, ' ');
    if (name.size() > args.size() || name.size() <= *words) continue;
    if (std::equal(name.begin(), name.end(), args.begin())) {
      best = &subcommand;
      *words = name.size();
    }
  }
  return best;
}

// `already_set`: the flags set earlier in this command line; a list flag given again appends.
absl::Status SetFlag(const Subcommand& subcommand, absl::string_view name, absl::string_view value,
                     absl::flat_hash_set<std::string>& already_set) {
  absl::CommandLineFlag* flag = absl::FindCommandLineFlag(name);
  if (flag == nullptr) return absl::InternalError(absl::StrCat("flag --", name, " is not defined"));
  std::string text(value);
  if (!already_set.insert(std::string(name)).second && flag->IsOfType<std::vector<std::string>>()) {
    text = absl::StrCat(flag->CurrentValue(), ",", value);
  }
  std::string error;
  if (!flag->ParseFrom(text, &error)) {
    return absl::InvalidArgumentError(
        absl::StrCat("mbrl ", subcommand.name, ": bad value for --", name, ": ", error));
  }
  return absl::OkStatus();
}

bool Accepts(const Subcommand& subcommand, absl::string_view name) {
  return std::find(subcommand.flags.begin(), subcommand.flags.end(), name) !=
         subcommand.flags.end();
}

absl::Status UnknownFlag(const Subcommand& subcommand, absl::string_view token) {
  return absl::InvalidArgumentError(absl::StrCat(
      "mbrl ", subcommand.name, ": unknown flag ", token,
      subcommand.flags.empty()
          ? " (it takes no flags)"
          : absl::StrCat(" (its flags: --", absl::StrJoin(subcommand.flags, ", --"), ")"),
      "; see `mbrl ", subcommand.name, " --help`"));
}

}  // namespace

absl::StatusOr<Invocation> Parse(absl::Span<const Subcommand> table,
                                 const std::vector<std::string>& args) {
  Invocation invocation;
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    if (args.size() >= 2 && args[0] == "help") {
      size_t words = 0;
      const std::vector<std::string> rest(args.begin() + 1, args.end());
      invocation.subcommand = Match(table, rest, &words);
      if (invocation.subcommand == nullptr || words != rest.size()) {
        return absl::InvalidArgumentError(
            absl::StrCat("mbrl help: no subcommand '", absl::StrJoin(rest, " "), "'"));
      }
    }
    invocation.help = true;
    return invocation;
  }
  size_t words = 0;
  invocation.subcommand = Match(table, args, &words);
  if (invocation.subcommand == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("mbrl: unknown subcommand '", args[0], "'; run `mbrl --help` for the list"));
  }
  const Subcommand& subcommand = *invocation.subcommand;
  absl::flat_hash_set<std::string> already_set;
  bool flags_ended = false;
  for (size_t i = words; i < args.size(); ++i) {
    const std::string& token = args[i];
    if (flags_ended || !absl::StartsWith(token, "-") || token == "-") {
      invocation.positional.push_back(token);
      continue;
    }
    if (token == "--") {
      flags_ended = true;
      continue;
    }
    if (token == "--help" || token == "-h") {
      invocation.help = true;
      continue;
    }
    absl::string_view body = absl::StripPrefix(absl::StripPrefix(token, "-"), "-");
    const size_t equals = body.find('=');
    const absl::string_view name = body.substr(0, equals);
    const bool has_value = equals != absl::string_view::npos;
    if (Accepts(subcommand, name)) {
      const absl::CommandLineFlag* flag = absl::FindCommandLineFlag(name);
      const bool is_bool = flag != nullptr && flag->IsOfType<bool>();
      if (has_value) {
        absl::Status status = SetFlag(subcommand, name, body.substr(equals + 1), already_set);
        if (!status.ok()) return status;
      } else if (is_bool) {
        absl::Status status = SetFlag(subcommand, name, "true", already_set);
        if (!status.ok()) return status;
      } else if (i + 1 < args.size()) {
        absl::Status status = SetFlag(subcommand, name, args[++i], already_set);
        if (!status.ok()) return status;
      } else {
        return absl::InvalidArgumentError(
            absl::StrCat("mbrl ", subcommand.name, ": flag --", name, " needs a value"));
      }
      continue;
    }
    // --noflag for a boolean flag.
    if (!has_value && absl::StartsWith(name, "no") && Accepts(subcommand, name.substr(2))) {
      const absl::CommandLineFlag* flag = absl::FindCommandLineFlag(name.substr(2));
      if (flag != nullptr && flag->IsOfType<bool>()) {
        absl::Status status = SetFlag(subcommand, name.substr(2), "false", already_set);
        if (!status.ok()) return status;
        continue;
      }
    }
    return UnknownFlag(subcommand, token);
  }
  return invocation;
}

void PrintOverview(absl::Span<const Subcommand> table, std::ostream& out) {
  out << "usage: mbrl SUBCOMMAND [FLAGS] [ARGS]\n\n"
         "Distributed model-based reinforcement learning (ME-TRPO, MB-MPO).\n\n"
         "subcommands:\n";
  size_t width = 0;
  for (const Subcommand& subcommand : table) width = std::max(width, subcommand.name.size());
  for (const Subcommand& subcommand : table) {
    out << "  " << subcommand.name << std::string(width + 3 - subcommand.name.size(), ' ')
        << subcommand.summary << "\n";
  }
  out << "\nRun `mbrl SUBCOMMAND --help` for its flags. Exit codes: 0 ok, 1 failure, "
         "2 bad usage or config.\n";
}

void PrintSubcommandHelp(const Subcommand& subcommand, std::ostream& out) {
  out << "usage: mbrl " << subcommand.name;
  if (!subcommand.flags.empty()) out << " [FLAGS]";
  if (!subcommand.arguments.empty()) out << " " << subcommand.arguments;
  out << "\n\n" << subcommand.summary << "\n";
  if (!subcommand.details.empty()) out << "\n" << subcommand.details << "\n";
  if (subcommand.flags.empty()) return;
  out << "\nflags:\n";
  for (const std::string& name : subcommand.flags) {
    const absl::CommandLineFlag* flag = absl::FindCommandLineFlag(name);
    if (flag == nullptr) continue;
    out << "  --" << name
        << " (default: " << (flag->DefaultValue().empty() ? "\"\"" : flag->DefaultValue())
        << ")\n      " << flag->Help() << "\n";
  }
}

}  // namespace mbrl::cli
