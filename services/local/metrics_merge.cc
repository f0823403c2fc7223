#include "services/local/metrics_merge.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "services/common/metrics_scrape.h"

namespace mbrl::local {
namespace {

using Labels = std::vector<prometheus::ClientMetric::Label>;

absl::StatusOr<prometheus::MetricType> ParseType(absl::string_view type) {
  if (type == "counter") return prometheus::MetricType::Counter;
  if (type == "gauge") return prometheus::MetricType::Gauge;
  if (type == "histogram") return prometheus::MetricType::Histogram;
  if (type == "untyped") return prometheus::MetricType::Untyped;
  return absl::InvalidArgumentError(absl::StrCat("unsupported metric type '", type, "'"));
}

bool ParseValue(absl::string_view text, double* value) {
  if (text == "+Inf" || text == "Inf") {
    *value = std::numeric_limits<double>::infinity();
    return true;
  }
  if (text == "-Inf") {
    *value = -std::numeric_limits<double>::infinity();
    return true;
  }
  if (text == "NaN") {
    *value = std::numeric_limits<double>::quiet_NaN();
    return true;
  }
  return absl::SimpleAtod(text, value);
}

// `name{a="x",b="y"} value`: the name, the labels and the value text.
absl::Status ParseSample(absl::string_view line, std::string* name, Labels* labels, double* value) {
  labels->clear();
  size_t i = 0;
  while (i < line.size() && line[i] != '{' && line[i] != ' ') ++i;
  *name = std::string(line.substr(0, i));
  if (i < line.size() && line[i] == '{') {
    ++i;
    while (i < line.size() && line[i] != '}') {
      const size_t eq = line.find('=', i);
      if (eq == absl::string_view::npos || eq + 1 >= line.size() || line[eq + 1] != '"') {
        return absl::InvalidArgumentError("bad label");
      }
      prometheus::ClientMetric::Label label;
      label.name = std::string(line.substr(i, eq - i));
      i = eq + 2;
      while (i < line.size() && line[i] != '"') {
        if (line[i] == '\\' && i + 1 < line.size()) {
          const char next = line[i + 1];
          label.value.push_back(next == 'n' ? '\n' : next);
          i += 2;
        } else {
          label.value.push_back(line[i++]);
        }
      }
      if (i >= line.size()) return absl::InvalidArgumentError("unterminated label value");
      ++i;  // closing quote
      labels->push_back(std::move(label));
      if (i < line.size() && line[i] == ',') ++i;
    }
    if (i >= line.size()) return absl::InvalidArgumentError("unterminated labels");
    ++i;  // '}'
  }
  std::vector<absl::string_view> rest =
      absl::StrSplit(absl::StripLeadingAsciiWhitespace(line.substr(i)), ' ', absl::SkipEmpty());
  if (rest.empty() || !ParseValue(rest[0], value)) {
    return absl::InvalidArgumentError("bad sample value");
  }
  return absl::OkStatus();
}

std::string Key(const Labels& labels) {
  std::string key;
  for (const auto& label : labels) absl::StrAppend(&key, label.name, "\x1f", label.value, "\x1e");
  return key;
}

prometheus::ClientMetric& MetricFor(prometheus::MetricFamily& family,
                                    std::map<std::string, size_t>& index, const Labels& labels) {
  const std::string key = Key(labels);
  auto it = index.find(key);
  if (it == index.end()) {
    it = index.emplace(key, family.metric.size()).first;
    family.metric.emplace_back();
    family.metric.back().label = labels;
  }
  return family.metric[it->second];
}

}  // namespace

absl::StatusOr<std::vector<prometheus::MetricFamily>> ParseExposition(absl::string_view text) {
  std::vector<prometheus::MetricFamily> families;
  std::map<std::string, size_t> family_index;
  std::vector<std::map<std::string, size_t>> metric_index;
  auto family_for = [&](const std::string& name) -> prometheus::MetricFamily& {
    auto it = family_index.find(name);
    if (it == family_index.end()) {
      it = family_index.emplace(name, families.size()).first;
      families.emplace_back();
      families.back().name = name;
      families.back().type = prometheus::MetricType::Untyped;
      metric_index.emplace_back();
    }
    return families[it->second];
  };
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty()) continue;
    auto error = [&](absl::string_view what) {
      return absl::InvalidArgumentError(absl::StrCat("line ", line_number, ": ", what));
    };
    if (line[0] == '#') {
      std::vector<absl::string_view> parts = absl::StrSplit(line, absl::MaxSplits(' ', 3));
      if (parts.size() < 3) continue;  // a comment
      if (parts[1] == "HELP") {
        family_for(std::string(parts[2])).help = parts.size() > 3 ? std::string(parts[3]) : "";
      } else if (parts[1] == "TYPE") {
        if (parts.size() < 4) return error("TYPE without a type");
        absl::StatusOr<prometheus::MetricType> type = ParseType(parts[3]);
        if (!type.ok()) return error(type.status().message());
        family_for(std::string(parts[2])).type = *type;
      }
      continue;
    }
    std::string name;
    Labels labels;
    double value;
    if (absl::Status status = ParseSample(line, &name, &labels, &value); !status.ok()) {
      return error(status.message());
    }
    // Histogram samples belong to their base family.
    std::string base = name;
    std::string suffix;
    for (const char* s : {"_bucket", "_sum", "_count"}) {
      if (absl::EndsWith(name, s)) {
        const std::string candidate = name.substr(0, name.size() - std::string(s).size());
        auto it = family_index.find(candidate);
        if (it != family_index.end() &&
            families[it->second].type == prometheus::MetricType::Histogram) {
          base = candidate;
          suffix = s;
        }
        break;
      }
    }
    prometheus::MetricFamily& family = family_for(base);
    std::map<std::string, size_t>& index = metric_index[family_index[base]];
    if (suffix.empty()) {
      prometheus::ClientMetric& metric = MetricFor(family, index, labels);
      switch (family.type) {
        case prometheus::MetricType::Counter:
          metric.counter.value = value;
          break;
        case prometheus::MetricType::Gauge:
          metric.gauge.value = value;
          break;
        case prometheus::MetricType::Untyped:
          metric.untyped.value = value;
          break;
        default:
          return error("a plain sample of a histogram family");
      }
      continue;
    }
    if (suffix == "_bucket") {
      auto le = std::find_if(labels.begin(), labels.end(),
                             [](const auto& label) { return label.name == "le"; });
      if (le == labels.end()) return error("a bucket without le");
      double bound;
      if (!ParseValue(le->value, &bound)) return error("bad le");
      labels.erase(le);
      prometheus::ClientMetric::Bucket bucket;
      bucket.upper_bound = bound;
      bucket.cumulative_count = static_cast<uint64_t>(std::llround(value));
      MetricFor(family, index, labels).histogram.bucket.push_back(bucket);
    } else if (suffix == "_sum") {
      MetricFor(family, index, labels).histogram.sample_sum = value;
    } else {
      MetricFor(family, index, labels).histogram.sample_count =
          static_cast<uint64_t>(std::llround(value));
    }
  }
  return families;
}

std::vector<prometheus::MetricFamily> MergeFamilies(
    const std::vector<std::vector<prometheus::MetricFamily>>& parts,
    const std::vector<std::string>& skip) {
  std::vector<prometheus::MetricFamily> merged;
  std::map<std::string, size_t> family_index;
  std::vector<std::map<std::string, size_t>> metric_index;
  for (const auto& part : parts) {
    for (const prometheus::MetricFamily& family : part) {
      if (std::find(skip.begin(), skip.end(), family.name) != skip.end()) continue;
      auto it = family_index.find(family.name);
      if (it == family_index.end()) {
        it = family_index.emplace(family.name, merged.size()).first;
        prometheus::MetricFamily copy = family;
        copy.metric.clear();
        merged.push_back(std::move(copy));
        metric_index.emplace_back();
      }
      prometheus::MetricFamily& target = merged[it->second];
      if (target.type != family.type) continue;  // conflicting definitions: keep the first
      std::map<std::string, size_t>& index = metric_index[it->second];
      for (const prometheus::ClientMetric& metric : family.metric) {
        const std::string key = Key(metric.label);
        auto found = index.find(key);
        if (found == index.end()) {
          index.emplace(key, target.metric.size());
          target.metric.push_back(metric);
          continue;
        }
        prometheus::ClientMetric& into = target.metric[found->second];
        switch (family.type) {
          case prometheus::MetricType::Counter:
            into.counter.value += metric.counter.value;
            break;
          case prometheus::MetricType::Gauge:
            if (!(into.gauge.value >= metric.gauge.value)) into.gauge.value = metric.gauge.value;
            break;
          case prometheus::MetricType::Untyped:
            into.untyped.value += metric.untyped.value;
            break;
          case prometheus::MetricType::Histogram: {
            auto& h = into.histogram;
            const auto& add = metric.histogram;
            if (h.bucket.size() == add.bucket.size()) {
              for (size_t b = 0; b < h.bucket.size(); ++b) {
                h.bucket[b].cumulative_count += add.bucket[b].cumulative_count;
              }
              h.sample_count += add.sample_count;
              h.sample_sum += add.sample_sum;
            }
            break;
          }
          default:
            break;
        }
      }
    }
  }
  return merged;
}

MergedMetrics::MergedMetrics(std::function<std::vector<int>()> ports) : ports_(std::move(ports)) {}

std::vector<prometheus::MetricFamily> MergedMetrics::Collect() const {
  std::vector<std::vector<prometheus::MetricFamily>> parts;
  for (int port : ports_()) {
    absl::StatusOr<std::string> text = testing::ScrapeMetrics(port);
    if (!text.ok()) continue;
    absl::StatusOr<std::vector<prometheus::MetricFamily>> families = ParseExposition(*text);
    if (families.ok()) parts.push_back(std::move(*families));
  }
  return MergeFamilies(parts, {"mbrl_build_info"});
}

}  // namespace mbrl::local
