#include "sim/run/job.hpp"
#include "sim/lang/law_builder.hpp"

#include "sim/base/error.hpp"
#include "sim/base/text.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <iostream>

namespace tamcarlo {

namespace fs = std::filesystem;

std::vector<std::string> job_files(const std::vector<std::string>& args) {
  std::vector<std::string> files;
  if (std::count(args.begin(), args.end(), "-") > 1)
    throw UsageError("`-` (standard input) can be given once");
  for (const auto& a : args) {
    std::error_code ec;
    if (fs::is_directory(a, ec)) {
      std::vector<std::string> found;
      for (const auto& e : fs::directory_iterator(a))
        if (e.is_regular_file() && e.path().extension() == ".toml") found.push_back(e.path().string());
      if (found.empty()) throw UsageError(fmt::format("directory {} holds no .toml scenario files", a));
      std::sort(found.begin(), found.end());
      files.insert(files.end(), found.begin(), found.end());
    } else {
      // A missing file is a usage error (exit 1), as a missing part or result is; what the file holds is the
      // scenario's business (exit 2).
      if (a != "-" && !fs::exists(fs::symlink_status(a, ec)))
        throw UsageError(fmt::format("{}: no such file; give a scenario or suite (.toml), a directory of them, or - "
                                     "for standard input",
                                     a));
      files.push_back(a);
    }
  }
  return files;
}

Job load_job(const std::string& file) {
  if (file == "-") {
    const std::string name = "<stdin>";
    std::string text;
    char buf[1 << 16];
    while (std::cin.read(buf, sizeof buf) || std::cin.gcount() > 0) {
      text.append(buf, static_cast<std::size_t>(std::cin.gcount()));
      if (text.size() > k_max_scenario_bytes)
        throw ScenarioError({name, 0, 0}, "", fmt::format("standard input holds over {} MiB; scenario files are "
                                                          "limited to {} MiB", k_max_scenario_bytes >> 20,
                                                          k_max_scenario_bytes >> 20));
    }
    if (text.find_first_not_of(" \t\r\n") == std::string::npos)
      throw ScenarioError({name, 0, 0}, "", "standard input is empty; pipe a scenario in, e.g. tamcarlo run - < cell.toml");
    return parse_job(text, name);
  }
  if (is_suite_file(file)) return load_suite(file);
  return load_scenario(file);
}

Job parse_job(const std::string& text, const std::string& name) {
  if (is_suite_text(text, name)) return parse_suite(text, name);
  return parse_scenario(text, name);
}

const std::string& job_name(const Job& j) {
  return std::visit([](const auto& x) -> const std::string& { return x.name; }, j);
}
const std::vector<Warning>& job_warnings(const Job& j) {
  return std::visit([](const auto& x) -> const std::vector<Warning>& { return x.warnings; }, j);
}

RunIdentity identity_of(const std::string& file, const Job& job, const std::vector<std::string>& stress,
                        const std::vector<std::string>& set) {
  std::vector<std::string> texts;
  const auto scenario_texts = [&](const Scenario& s) {
    texts.push_back(s.text);
    for (const Link& l : s.links) texts.push_back(l.text);
  };
  if (const auto* s = std::get_if<Scenario>(&job)) {
    scenario_texts(*s);
  } else {
    const Suite& u = std::get<Suite>(job);
    texts.push_back(u.text);
    for (const SuiteMember& m : u.members) scenario_texts(m.scenario);
  }
  RunIdentity id;
  id.job = fs::absolute(file).lexically_normal().string();
  id.job_as_given = file;
  id.stress = stress;
  id.set = set;
  for (const auto& x : stress) texts.push_back("--stress " + x);
  for (const auto& x : set) texts.push_back("--set " + x);
  id.fingerprint = job_fingerprint(texts);
  return id;
}

std::vector<StressCase> stress_cases(const Scenario& s, const std::vector<std::string>& stress,
                                     const std::vector<std::string>& set) {
  std::vector<StressCase> cases;
  std::vector<std::string> names;
  for (const auto& st : s.stresses) names.push_back(st.name);
  for (std::size_t i = 0; i < stress.size(); ++i)
    if (std::find(stress.begin(), stress.begin() + static_cast<std::ptrdiff_t>(i), stress[i]) !=
        stress.begin() + static_cast<std::ptrdiff_t>(i))
      throw UsageError(fmt::format("--stress names `{}` twice; each stress set runs once", stress[i]));
  for (const auto& want : stress) {
    if (want == "all") {
      for (const auto& st : s.stresses) cases.push_back({st.name, st.description, st.overrides});
      if (s.stresses.empty()) throw UsageError(fmt::format("--stress all: {} defines no [stress.<name>] sets", s.path));
      continue;
    }
    const auto it = std::find_if(s.stresses.begin(), s.stresses.end(), [&](const Stress& st) { return st.name == want; });
    if (it == s.stresses.end())
      throw UsageError(fmt::format("--stress {}: {} has no [stress.{}]{}; its stress sets: {}", want, s.path, want,
                                   did_you_mean(want, names), names.empty() ? "none" : quoted_list(names)));
    cases.push_back({it->name, it->description, it->overrides});
  }
  if (!set.empty()) {
    StressCase c{"set", "", {}};
    for (const auto& spec : set) {
      c.overrides.push_back(parse_override(spec, s));
      c.description += (c.description.empty() ? "command line: --set " : ", --set ") + spec;
    }
    cases.push_back(std::move(c));
  }
  return cases;
}

std::vector<Warning> set_warnings(const Scenario& s, const std::vector<std::string>& set) {
  std::vector<Warning> out;
  for (const auto& spec : set) {
    const Input in = parse_override(spec, s);
    const auto base = std::find_if(s.inputs.begin(), s.inputs.end(), [&](const Input& x) { return x.name == in.name; });
    if (base == s.inputs.end()) continue;
    if (const std::string doubt = detail::replacement_warning(*base, in); !doubt.empty())
      out.push_back({SourceLocation{"--set " + spec, 0, 0}, "set." + in.name, doubt});
    for (Warning& w : replacement_moment_warnings(s, {in})) {  // a law that takes a mean or sd away
      if (w.key != "inputs." + in.name) w.message = fmt::format("with --set {}: {}", spec, w.message);
      out.push_back({SourceLocation{"--set " + spec, 0, 0}, "set." + in.name, std::move(w.message)});
    }
  }
  return out;
}

}  // namespace tamcarlo
