// The test program's main: Catch2's, with two warnings always on, so that no CTest entry passes without checking
// anything: NoTests (a name that selects no TEST_CASE fails) and NoAssertions (a TEST_CASE that ends without an
// assertion fails). Catch2 2.x accepts only one -w on its command line, hence here.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

int main(int argc, char* argv[]) {
  Catch::Session session;
  if (const int rc = session.applyCommandLine(argc, argv); rc != 0) return rc;
  auto& config = session.configData();
  config.warnings = static_cast<Catch::WarnAbout::What>(config.warnings | Catch::WarnAbout::NoTests |
                                                        Catch::WarnAbout::NoAssertions);
  session.useConfigData(config);
  return session.run();
}
