# The scenario parser's libFuzzer target (KMEMU_FUZZ=ON, clang only). See docs/scenarios.md.
# The parser's sources are compiled into the target itself, so they get the fuzzer's coverage
# instrumentation while the library and the other programs stay uninstrumented.
if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
  message(FATAL_ERROR "KMEMU_FUZZ=ON needs clang (configure with CXX=clang++)")
endif()
set(dir "${CMAKE_SOURCE_DIR}/emu/scenario")
add_executable(kmemu_fuzz_parser "${dir}/fuzz_parser.cpp" "${dir}/lexer.cpp" "${dir}/parser.cpp"
                                 "${dir}/source.cpp")
target_include_directories(kmemu_fuzz_parser PRIVATE "${KMEMU_ROOT_emu}")
target_compile_options(kmemu_fuzz_parser PRIVATE -fsanitize=fuzzer,address,undefined)
target_link_options(kmemu_fuzz_parser PRIVATE -fsanitize=fuzzer,address,undefined)
target_link_libraries(kmemu_fuzz_parser PRIVATE fmt::fmt kmemu_warnings)
