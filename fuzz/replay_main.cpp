// The fuzz target without libFuzzer: runs LLVMFuzzerTestOneInput once on each file named
// on the command line, or on each file of a named folder (sorted), printing the name first
// so that a crash names its input. ctest replays fuzz/corpus/ with it (fuzz.corpus.*).
// Usage: freezer_config_replay FILE|FOLDER...
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace fs = std::filesystem;

namespace {

bool replay(const fs::path& file) {
    std::printf("%s\n", file.c_str());
    std::fflush(stdout);  // before a crash can lose it
    std::ifstream in(file, std::ios::binary);
    if (!in) {
        std::fprintf(stderr, "cannot read %s\n", file.c_str());
        return false;
    }
    const std::vector<char> bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
    return true;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s FILE|FOLDER...\n", argv[0]);
        return 2;
    }
    bool ok = true;
    for (int i = 1; i < argc; ++i) {
        const fs::path arg = argv[i];
        std::error_code ec;
        if (!fs::is_directory(arg, ec)) {
            ok = replay(arg) && ok;
            continue;
        }
        std::vector<fs::path> files;
        for (const auto& e : fs::directory_iterator(arg, ec))
            if (e.is_regular_file(ec)) files.push_back(e.path());
        if (ec) {
            std::fprintf(stderr, "cannot list %s: %s\n", arg.c_str(), ec.message().c_str());
            ok = false;
        }
        std::sort(files.begin(), files.end());
        for (const auto& f : files) ok = replay(f) && ok;
    }
    return ok ? 0 : 1;
}
