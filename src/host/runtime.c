#include "runtime.h"

#include <signal.h>
#include <string.h>

#define X(name) extern const struct ib_runtime_ops ib_runtime_##name;
#include "runtimes.def"
#undef X

const struct ib_runtime_ops *const ib_runtimes[] = {
#define X(name) &ib_runtime_##name,
#include "runtimes.def"
#undef X
};
const int ib_nruntimes = (int)IB_ARRAY_LEN(ib_runtimes);

const struct ib_runtime_ops *ib_runtime_find(const char *name)
{
	for (int i = 0; i < ib_nruntimes; i++)
		if (strcmp(ib_runtimes[i]->name, name) == 0)
			return ib_runtimes[i];
	return NULL;
}

const char *ib_signal_name(int sig)
{
	switch (sig) {
	case SIGKILL: return "SIGKILL";
	case SIGSEGV: return "SIGSEGV";
	case SIGABRT: return "SIGABRT";
	case SIGBUS: return "SIGBUS";
	case SIGTERM: return "SIGTERM";
	case SIGINT: return "SIGINT";
	case SIGILL: return "SIGILL";
	case SIGFPE: return "SIGFPE";
	case SIGPIPE: return "SIGPIPE";
	default: return "signal";
	}
}
