// Preloaded (LD_PRELOAD) into the sanitized test suite by scripts/sanitize: dlclose() keeps every
// library mapped. Embedded ngspice is unloaded and reloaded by the solver; once unmapped, whatever it
// still owned shows up as leaks from "<unknown module>" that no suppression can name. Kept mapped, its
// memory stays reachable from its globals, and what it really leaks is attributed to libngspice (or
// to the private copy spx-ngspice-*.so that a reload maps), which tests/sanitize/lsan.supp suppresses.
// A library that stays mapped after dlclose() is a case the solver handles (it maps a fresh copy).
extern "C" int dlclose(void*) { return 0; }
