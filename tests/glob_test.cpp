#include <catch2/catch.hpp>

#include "inputs/glob.hpp"

using freezer::Glob;

TEST_CASE("globs match like freezer.yaml documents", "[glob]") {
    CHECK(Glob("**/*.py").matches("main.py"));
    CHECK(Glob("**/*.py").matches("a/b/c.py"));
    CHECK_FALSE(Glob("**/*.py").matches("a/b/c.pyc"));
    CHECK(Glob("pyproject.toml").matches("pyproject.toml"));
    CHECK_FALSE(Glob("pyproject.toml").matches("sub/pyproject.toml"));
    CHECK(Glob("requirements*.txt").matches("requirements-dev.txt"));
    CHECK(Glob("build/**").matches("build/x/y.py"));
    CHECK_FALSE(Glob("build/**").matches("src/build.py"));
    CHECK(Glob("**/__pycache__/**").matches("a/__pycache__/x.pyc"));
    CHECK(Glob("a/**/b.py").matches("a/b.py"));
    CHECK(Glob("a/**/b.py").matches("a/x/y/b.py"));
    CHECK_FALSE(Glob("*.py").matches("a/b.py"));
}

TEST_CASE("folders covered by an exclude are pruned", "[glob]") {
    CHECK(Glob("build/**").covers_dir("build"));
    CHECK(Glob("**/__pycache__/**").covers_dir("pkg/__pycache__"));
    CHECK(Glob(".venv/**").covers_dir(".venv"));
    CHECK_FALSE(Glob("build/**").covers_dir("src"));
    CHECK_FALSE(Glob("**/*.py").covers_dir("src"));
}
