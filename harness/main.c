/* main.c - placeholder until the command line lands (see harness/cli.c). */
#include <stdio.h>
#include "exitcodes.h"
int main(void)
{
	fputs("bench: not built yet\n", stderr);
	return EXIT_USAGE;
}
