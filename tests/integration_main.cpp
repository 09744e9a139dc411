// The integration tests need the packagers' venv (scripts/setup.sh makes it). Without
// it they are skipped, saying why: ctest reports exit code 77 as "skipped".
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdio>

int main(int argc, char** argv) {
    if (::access(FREEZER_TEST_PYTHON, X_OK) != 0) {
        std::printf("SKIPPED: %s not found: run scripts/setup.sh to create the venv with "
                    "PyInstaller\n", FREEZER_TEST_PYTHON);
        return 77;
    }
    return Catch::Session().run(argc, argv);
}
