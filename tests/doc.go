// Package tests holds the integration suite: it builds the winewarden
// binary and the C test programs under testdata, then runs them under real
// Wine and real kernel features as the current user. Each attack test
// asserts the denial and, where the wrapper can see it, the session-log
// event; each must-not-break test asserts that the game still works.
//
// The suite needs an ordinary user (root hides permission bugs), Landlock
// ABI 6 or newer, wine, gcc and x86_64-w64-mingw32-gcc. A test that cannot
// run skips with the reason, and with WINEWARDEN_TEST_STRICT=1 it fails.
package tests
