# freezer_add_backend(NAME SOURCES...): a backend plugin, freezer-backend-NAME.so.
#
# The one definition, used by freezer's own backends and, through find_package(freezer),
# by plugins built outside freezer's tree:
#
#   find_package(freezer 0.1 REQUIRED)
#   freezer_add_backend(mine mine_backend.cpp)
#
# makes the MODULE target freezer_backend_NAME: linked with freezer::sdk, no "lib"
# prefix, symbols hidden but the plugin's two entry points (FREEZER_BACKEND_PLUGIN), and
# installed into <prefix>/lib/freezer/backends. freezer finds it there when it is
# freezer's own prefix, or anywhere on $FREEZER_BACKEND_PATH. In the build tree the .so
# goes to FREEZER_PLUGIN_OUTPUT_DIR when that is set (freezer's own build), else to the
# target's binary folder.
function(freezer_add_backend name)
    if(NOT ARGN)
        message(FATAL_ERROR "freezer_add_backend(${name}): no sources given")
    endif()
    set(target freezer_backend_${name})
    add_library(${target} MODULE ${ARGN})
    target_link_libraries(${target} PRIVATE freezer::sdk)
    if(TARGET freezer_warnings)
        target_link_libraries(${target} PRIVATE freezer_warnings)
    endif()
    set_target_properties(${target} PROPERTIES
        PREFIX "" OUTPUT_NAME "freezer-backend-${name}"
        CXX_VISIBILITY_PRESET hidden VISIBILITY_INLINES_HIDDEN ON)
    if(FREEZER_PLUGIN_OUTPUT_DIR)
        set_target_properties(${target} PROPERTIES LIBRARY_OUTPUT_DIRECTORY "${FREEZER_PLUGIN_OUTPUT_DIR}")
    endif()
    include(GNUInstallDirs)
    install(TARGETS ${target} LIBRARY DESTINATION "${CMAKE_INSTALL_LIBDIR}/freezer/backends")
endfunction()
