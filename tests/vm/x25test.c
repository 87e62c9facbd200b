// SPDX-License-Identifier: GPL-2.0-or-later
/* x25test.c - guest test tool for AF_X25 through a relay: command table and help. */
#include "x25test.h"

#include <string.h>

static const char help_text[] =
	"usage: x25test COMMAND [options] [args]\n"
	"\n"
	"Commands:\n"
	"  listen ADDR     echo server: bind ADDR (\"*\" = wildcard, 15 spaces), accept calls\n"
	"                  concurrently (one epoll loop), echo every record as one record\n"
	"    -P SIZE             packet size facility: log2 code 4..12 or bytes 16..4096\n"
	"    -W WIN              window facility 1..127 (both directions)\n"
	"    --rcvbuf BYTES      SO_RCVBUFFORCE on the listener (inherited by calls); needed for\n"
	"                        long records at small packet sizes (docs/linux-x25.md §9.5)\n"
	"    --sndbuf BYTES      SO_SNDBUFFORCE on the listener (inherited by calls): a record of\n"
	"                        many packets (60000 B at packet size 128) needs about 1 KiB per\n"
	"                        packet, else the kernel's send() waits forever (a warning says so)\n"
	"    --qbit              X25_QBITINCL: the Q bit of each record is echoed\n"
	"    --echo-interrupts   echo every interrupt back as an interrupt (SIGURG driven)\n"
	"    --calls N           exit 0 once N calls have ended\n"
	"    --print-call        per call, print on stdout:\n"
	"                          call ID calling=A called=B winsize_in=W winsize_out=W\n"
	"                               pacsize_in=P pacsize_out=P cud=HEX|-\n"
	"                        and when it ends:\n"
	"                          end ID calling=A called=B records=R bytes=N interrupts=I\n"
	"                              cause=0xCC diag=0xDD reason=R\n"
	"                        R: ENOTCONN (peer cleared), ENETUNREACH (link killed),\n"
	"                        ETIMEDOUT, cleared-here (--clear-causediag), ECONNABORTED\n"
	"                        (listener stopped with the call open)\n"
	"    --clear-causediag C:D  after the first record of a call, clear it (no echo) with\n"
	"                        this cause/diag (SIOCX25SCAUSEDIAG, then close)\n"
	"    --match-cud HEX     only take calls whose CUD starts with HEX (SIOCX25SCUDMATCHLEN)\n"
	"    --backlog N         listen() backlog (default 256)\n"
	"    --ready-file PATH   written (with the pid) once listening\n"
	"    Stops on SIGTERM/SIGINT (exit 0), clearing open calls with 0/0.\n"
	"\n"
	"  call DEST       place a call from -s ADDR to DEST, send messages, check each echo\n"
	"    -s ADDR             calling (source) address, default 999\n"
	"    -P SIZE, -W WIN     facilities requested (see listen)\n"
	"    --cud HEX           call user data, up to 128 bytes\n"
	"    --sizes LIST        message sizes, e.g. 1,128,4096,max; an item A-B picks a size in\n"
	"                        that range; default 16. \"max\" is the largest record the kernel\n"
	"                        reassembles: it counts packet headers against 65535, so a record\n"
	"                        of n packets may have at most 65535 - 3n bytes (65535 - 4n on\n"
	"                        modulo 128); \"max\" uses 65535 - 4n for the negotiated packet size\n"
	"                        (63547 at 128, 65471 at 4096). Longer records get the call reset\n"
	"                        and arrive truncated: a real kernel limit, not a relay bug.\n"
	"    --messages M        messages per call (default: one per --sizes item; 1 in load mode)\n"
	"    --qbit              X25_QBITINCL; odd-numbered messages carry Q=1, checked in the echo\n"
	"    --interrupt HEX     after the messages, send an interrupt and expect its echo\n"
	"                        (truncated to 32 bytes, 31 with --qbit)\n"
	"    --rcvbuf BYTES, --sndbuf BYTES  SO_RCVBUFFORCE / SO_SNDBUFFORCE before connecting\n"
	"    --expect-error E    connect() must fail with errno E (ECONNREFUSED, ENETUNREACH,\n"
	"                        ETIMEDOUT, EISCONN, ...); prints the cause/diag\n"
	"    --expect-causediag C:D  the call must be cleared with this cause/diag: by the peer\n"
	"                        during or after the messages (waits up to --timeout, or forever\n"
	"                        with --hold), or, with --expect-error, in the refused connect\n"
	"    --set-causediag C:D set before close, so the peer sees this cause/diag\n"
	"    --print-facilities  print: facilities winsize_in=W winsize_out=W pacsize_in=P pacsize_out=P\n"
	"    --hold              after the messages, stay connected until SIGTERM/SIGINT or EOF on\n"
	"                        stdin (only if stdin is a pipe, socket or tty); a clear by the peer\n"
	"                        while holding is a failure\n"
	"    --ready-file PATH   written once connected and the messages are echoed\n"
	"    --connect-timeout MS  bound on connect() (non-blocking connect + poll), default 30000\n"
	"    --timeout S         bound on each echo / clear wait, default 30\n"
	"    --calls N --parallel P  load mode: N calls, P at a time (threads), each call\n"
	"                        --messages records; prints one line:\n"
	"                          calls=N ok=N failed=N mismatches=N elapsed=S calls_per_s=X\n"
	"                          bytes=B kbytes_per_s=Y\n"
	"    Success prints \"ok ...\" on stdout.\n"
	"\n"
	"  sockets         print /proc/net/x25/socket and a summary line\n"
	"  wait-clean [--timeout S]  wait (polling every 100 ms, default 10 s) until no socket is\n"
	"                  in state 1..5 and no orphan (state 0, inode 0) is left; prints the rest\n"
	"  wait-file PATH [--timeout S]  wait until PATH exists (default 10 s)\n"
	"\n"
	"Common: -v / --verbose prints progress on stderr; failures print \"FAIL: ...\" on stderr.\n"
	"\n"
	"Exit status: 0 ok; 1 check failed (mismatch, wrong errno or cause/diag, unexpected clear);\n"
	"  2 usage error; 3 setup error (no AF_X25, bind/ioctl failed, ...); 4 timeout.\n";

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
} commands[] = {
	{"listen", listen_main},     {"call", call_main},           {"sockets", sockets_main},
	{"wait-clean", wait_clean_main}, {"wait-file", wait_file_main},
};

int main(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		fputs(help_text, argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			/* The subcommand parses argv[1..] with getopt, its name as argv[0]. */
			return commands[i].run(argc - 1, argv + 1);
	die_usage("unknown command \"%s\"", argv[1]);
}
