/* placeholder: replaced below */
#include "cli.h"
#include <stdio.h>
int ib_cmd_validate(int argc, char **argv)
{
	(void)argc; (void)argv;
	fprintf(stderr, "isobench validate: not built yet\n");
	return 3;
}
