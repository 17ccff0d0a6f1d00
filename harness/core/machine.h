/* machine.h - what a result says about the machine it was measured on. */
#ifndef HEAPLAB_MACHINE_H
#define HEAPLAB_MACHINE_H

struct machine_info {
	char cpu[128];       /* "model name" from /proc/cpuinfo, or "unknown"    */
	int  cores;          /* online logical CPUs                              */
	char os[256];        /* "Linux 6.1.0-18-amd64 #1 SMP ..." from uname     */
	char arch[72];       /* uname machine: "x86_64"                          */
	char hostname[128];  /* uname nodename                                   */
	char name[128];      /* $HEAPLAB_MACHINE, else the hostname: the machine
	                      * a result belongs to when results of several hosts
	                      * are merged (docs/distributed.md)                 */
};

void machine_describe(struct machine_info *m);

#endif
