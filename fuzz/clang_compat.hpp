// Force-included (-include) in every source of freezer_config_fuzz, clang only.
//
// sdk::Option holds std::vector<std::pair<std::string, Option>>. In C++20, libstdc++ 12's
// std::pair declares its default constructor explicit(!__is_implicitly_default_constructible
// <T2>), and clang (14 to 19 at least) evaluates that while instantiating
// pair<string, Option>: for Option the trait needs ~vector<pair<string, Option>>, hence the
// very pair being instantiated, and clang stops with "incomplete type". gcc evaluates it
// later and compiles the header as it is. Option is an aggregate with default member
// initializers, so the answer is true; giving it here breaks the cycle and changes nothing
// else. Not needed with libc++, which freezer cannot use: Debian's yaml-cpp is built
// against libstdc++.
#pragma once

#include <type_traits>

#ifdef __GLIBCXX__
namespace freezer::sdk {
struct Option;
}
template <>
struct std::__is_implicitly_default_constructible<freezer::sdk::Option> : std::true_type {};
#endif
