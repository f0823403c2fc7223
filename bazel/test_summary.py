#!/usr/bin/env python3
"""Counts test cases from a `bazel test --build_event_json_file` stream.

Prints each failure, then a last line exactly `N passed, M failed`, and exits 1 if anything
failed (or if Bazel itself failed without any failed test to show for it), else 0.

Counting: every test target's test.xml (GoogleTest writes one; Bazel writes one for other
tests) contributes its test cases. A target whose run failed without a failed case in its XML
(crash, sanitizer report at exit, timeout) adds one failure; a test target that was configured
but never ran (it failed to build) adds one failure.
"""
import argparse
import json
import sys
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ElementTree


def file_path(uri):
    parsed = urllib.parse.urlparse(uri)
    return urllib.request.url2pathname(parsed.path) if parsed.scheme == "file" else None


def count_xml(path):
    """Returns (passed, failed_case_names) from a JUnit XML file, or None if unreadable."""
    try:
        root = ElementTree.parse(path).getroot()
    except (OSError, ElementTree.ParseError):
        return None
    passed, failed = 0, []
    for case in root.iter("testcase"):
        if case.find("skipped") is not None or case.get("status") == "notrun":
            continue
        if case.find("failure") is not None or case.find("error") is not None:
            failed.append(f"{case.get('classname', '')}.{case.get('name', '')}".strip("."))
        else:
            passed += 1
    return passed, failed


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bep", required=True, help="build event JSON file")
    parser.add_argument("--bazel_exit_code", type=int, required=True)
    args = parser.parse_args()

    test_targets = set()
    results = {}  # label -> list of (status, xml path or None)
    try:
        with open(args.bep, encoding="utf-8") as events:
            for line in events:
                event = json.loads(line)
                ids = event.get("id", {})
                if "targetConfigured" in ids:
                    kind = event.get("configured", {}).get("targetKind", "")
                    if kind.endswith("_test rule"):
                        test_targets.add(ids["targetConfigured"]["label"])
                elif "testResult" in ids:
                    label = ids["testResult"]["label"]
                    result = event.get("testResult", {})
                    xml = None
                    for output in result.get("testActionOutput", []):
                        if output.get("name") == "test.xml":
                            xml = file_path(output.get("uri", ""))
                    results.setdefault(label, []).append((result.get("status", "NO_STATUS"), xml))
    except OSError as error:
        print(f"cannot read build events: {error}")

    passed, failures = 0, []
    for label in sorted(test_targets | set(results)):
        runs = results.get(label)
        if not runs:
            failures.append(f"{label} (did not run: failed to build)")
            continue
        for status, xml in runs:
            counted = count_xml(xml) if xml else None
            target_passed, failed_cases = counted if counted else (0, [])
            passed += target_passed
            failures += [f"{label} {case}" for case in failed_cases]
            if status != "PASSED" and not failed_cases:
                failures.append(f"{label} ({status})")
            elif status == "PASSED" and counted is None:
                passed += 1

    if args.bazel_exit_code not in (0, 3) and not failures:
        failures.append(f"bazel exited with code {args.bazel_exit_code} (build or analysis error above)")
    for failure in failures:
        print(f"FAILED: {failure}")
    print(f"{passed} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
