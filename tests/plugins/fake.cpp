// A packager that needs no packager, for the builder's tests: its one step is a shell
// script that turns the staged inputs into an executable script printing them. Options
// (sidecars.X.backends.fake) make it slow (delay_ms; it says "fake: phase sleeping",
// one of its phases, first), fail (fail: true), die of a signal (crash: true), or a step
// that resolves or downloads (network: true: the network timeout applies). Each run bumps <work_dir>/runs, so a test can tell whether the
// packager ran at all. Built three times (FAKE_BACKEND_NAME): "fake" and "fake2", so
// that --backend has a second backend to switch to, and "fakepatch", with a fast path.
#include <freezer/backend.hpp>
#include <freezer/backend_util.hpp>

#include <stdexcept>
#include <string>

#ifndef FAKE_BACKEND_NAME
#define FAKE_BACKEND_NAME "fake"
#endif

namespace {

using namespace freezer::sdk;
using namespace freezer::sdk::util;

const std::vector<std::string> kKeys = {"delay_ms", "fail", "crash", "network"};

// write_executable INPUT...: $out becomes a script that prints the inputs. awk 1 ends
// every input with a newline, so the heredoc's delimiter stays on its own line. The
// script uses shell builtins only: a standalone smoke test drops the interpreter's
// folder (/usr/bin for /usr/bin/python3) from PATH.
const std::string kWriteExecutable = R"sh(write_executable() {
  {
    echo '#!/bin/sh'
    printf '%s\n' "while IFS= read -r line; do printf '%s\\n' \"\$line\"; done <<'FAKE_EOF'"
    for f; do awk 1 "$f"; done
    echo 'FAKE_EOF'
  } > "$out"
  chmod +x "$out"
}
)sh";

// "fakepatch" (FAKE_PATCH) has a fast path: its patch writes the same executable from
// the staged inputs, bumps <work_dir>/patches instead of runs, and records the modules
// it was given in <work_dir>/patched. A file <work_dir>/fail_patch makes it fail the
// way a real patch that finds it does not apply does: "fast path refused: ...", exit 1
// (a file, not an option: an option is config, and a config change is a full build).
// $1 out file, $2 work dir, $3 previous executable, then the inputs.
const std::string kPatchScript = kWriteExecutable + R"sh(set -e
out=$1; work=$2; prev=$3; shift 3
n=$(cat "$work/patches" 2>/dev/null || echo 0)
echo $((n + 1)) > "$work/patches"
if [ -e "$work/fail_patch" ]; then echo "fast path refused: told to fail" >&2; exit 1; fi
if [ ! -x "$prev" ]; then echo "fast path refused: no previous executable at $prev" >&2; exit 1; fi
write_executable "$@"
echo "fake: patched $out"
)sh";

// $1 out file, $2 work dir, $3 delay (seconds), $4 fail, $5 crash, then the inputs.
const std::string kScript = kWriteExecutable + R"sh(set -e
out=$1; work=$2; delay=$3; fail=$4; crash=$5; shift 5
runs=$(cat "$work/runs" 2>/dev/null || echo 0)
echo $((runs + 1)) > "$work/runs"
[ "$delay" = 0 ] || { echo "fake: phase sleeping"; sleep "$delay"; }
if [ "$fail" = 1 ]; then echo "fake: failing on purpose" >&2; exit 1; fi
if [ "$crash" = 1 ]; then ulimit -c 0; kill -SEGV $$; fi
write_executable "$@"
echo "fake: wrote $out from $# inputs"
)sh";

bool flag(const Option& options, const char* key) {
    const Option* o = options.find(key);
    return o && as_bool(*o).value_or(false);
}

class FakeBackend final : public Backend {
public:
    std::string name() const override { return FAKE_BACKEND_NAME; }
    std::string version() const override { return "1.0.0"; }
    std::string describe() const override { return "a test double: writes a script that prints its inputs"; }
    std::string install_hint() const override { return "nothing to install: it needs /bin/sh"; }
    int cpu_tokens_wanted(const Option&, int) const override { return 1; }

    std::vector<Diagnostic> validate(const Option& options) const override {
        std::vector<Diagnostic> out;
        if (!options_map(options, name(), out)) return out;
        for (const auto& [key, value] : options.entries) {
            if (!known_key(key, value, kKeys, name(), out)) {
            } else if (key == "delay_ms") {
                if (value.kind != Option::Kind::scalar || value.scalar.empty() ||
                    value.scalar.find_first_not_of("0123456789") != std::string::npos)
                    out.push_back(error_at(value, "expected a number of milliseconds"));
            } else if (!as_bool(value)) {
                out.push_back(error_at(value, "expected true or false"));
            }
        }
        return out;
    }

    // Cheap on purpose: no site import, no package; still runs the configured interpreter.
    Probe probe(const std::string& python) const override { return {{python, "-S", "-c", "print('1.0')"}}; }

    ToolFacts parse_probe(const ProbeOutput& output) const override {
        return parse_version_probe(output, name(), "/bin/sh");
    }

    Plan plan(const PlanRequest& rq) const override {
        if (rq.mode != "onefile") throw std::invalid_argument("the fake builds one file: set 'mode: onefile'");
        const long ms = std::stol(scalar(rq.options, "delay_ms", "0"));
        Step run;
        run.description = name() + " " + rq.sidecar;
        run.cwd = rq.stage_dir;
        run.env = rq.env;
        run.argv = {"/bin/sh", "-c", kScript, name(), rq.out_dir + "/" + rq.sidecar, rq.work_dir,
                    ms == 0 ? "0" : std::to_string(ms / 1000) + "." + std::to_string(1000 + ms % 1000).substr(1),
                    flag(rq.options, "fail") ? "1" : "0", flag(rq.options, "crash") ? "1" : "0"};
        run.argv.insert(run.argv.end(), rq.inputs.begin(), rq.inputs.end());
        run.network = flag(rq.options, "network");
        Plan plan;
        plan.phases = {"^fake: phase (.*)$"};
        plan.steps.push_back(std::move(run));
        plan.artifact_dir = rq.out_dir;
        plan.executable = rq.sidecar;
        plan.standalone = true;
        return plan;
    }

#ifdef FAKE_PATCH
    bool can_patch() const override { return true; }

    Patch patch(const PatchRequest& pr) const override {
        const auto& rq = pr.request;
        Patch out;
        Step record;
        record.kind = Step::Kind::write_file;
        record.description = "record the modules to patch";
        record.path = rq.work_dir + "/patched";
        for (const auto& c : pr.changed) record.content += c + "\n";
        Step run;
        run.description = name() + " patch " + rq.sidecar;
        run.cwd = rq.stage_dir;
        run.argv = {"/bin/sh", "-c", kPatchScript, name(), rq.out_dir + "/" + rq.sidecar, rq.work_dir,
                    pr.previous_dir + "/" + pr.previous_executable};
        run.argv.insert(run.argv.end(), rq.inputs.begin(), rq.inputs.end());
        out.plan.steps = {record, run};
        out.plan.artifact_dir = rq.out_dir;
        out.plan.executable = rq.sidecar;
        return out;
    }
#endif
};

}  // namespace

FREEZER_BACKEND_PLUGIN(FakeBackend)
