// SPDX-License-Identifier: GPL-2.0-or-later
/* main.c - x25lo: options, start-up checks, signals, config watching, the event loop. */
#include <cap-ng.h>
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "callrec.h"
#include "config.h"
#include "daemon.h"
#include "log.h"
#include "pcap.h"
#include "kernel_x25.h"
#include "privilege.h"
#include "relay.h"
#include "service.h"
#include "stats.h"

#define EXIT_CONFIG 2

/* The system-wide config file; meson passes <sysconfdir>/x25lo/config.json. */
#ifndef X25LO_SYSTEM_CONFIG
#define X25LO_SYSTEM_CONFIG "/etc/x25lo/config.json"
#endif

struct options {
	const char *config_path;
	bool trace, check;
	int stats_port; /* -1 = from config */
	const char *pcap_path;
	const char *user;         /* NULL = from config */
	const char *call_records; /* NULL = from config */
};

struct watchers {
	struct relay *relay;
	struct options *opts;
	int signal_fd, inotify_fd;
	struct io_watch signal_watch, inotify_watch;
	char config_dir[PATH_MAX], config_base[NAME_MAX + 1];
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: x25lo [-config FILE | FILE] [-trace] [-stats-port N] [-pcap FILE] [-call-records FILE]\n"
		"             [-user NAME] [-check] [-version] [-help]\n"
		"Relay X.25 calls between local AF_X25 programs through ARPHRD_X25 TUN devices.\n"
		"\n"
		"  -config FILE     goxot config.json to read; only its \"tun-loopback\" section is used (default:\n"
		"                   config.json in the working directory if it exists, else\n"
		"                   " X25LO_SYSTEM_CONFIG ")\n"
		"  -trace           log one line per packet: <src>><dst> <TYPE> <HEX>\n"
		"  -stats-port N    HTTP stats port (overrides stats-port in the config; 0 disables)\n"
		"  -pcap FILE       capture every frame read or written (overrides \"pcap\" in the config)\n"
		"  -call-records FILE\n"
		"                   append one JSON line per ended or refused call, reopened on HUP; \"journal\"\n"
		"                   for the journal only (overrides \"call_records\" in the config)\n"
		"  -user NAME       after setting up, run as this user and its group (overrides \"user\" in the\n"
		"                   config); with or without it x25lo keeps only CAP_NET_ADMIN\n"
		"  -check           validate the config, print what would be set up, touch nothing\n"
		"  -version         print the version\n"
		"  -help            this text\n"
		"Options take one or two dashes. Signals: HUP reloads the config, USR1 dumps live calls,\n"
		"TERM/INT clear every call and remove the TUNs.\n");
}

/*
 * The config file when the command line names none: config.json in the working directory if
 * it is there (goxot's tools read it there), else X25LO_SYSTEM_CONFIG, <sysconfdir>/x25lo/
 * config.json from meson (/etc/x25lo/config.json for a /usr build, a package's). Chosen once:
 * reloads read the same file. A name that is there in any form (an unreadable file, a dangling
 * link) is taken, so that loading it says what is wrong with it. NULL, with a message naming
 * both paths, when neither is there.
 */
static const char *default_config_path(void)
{
	static const char *const candidates[] = {"config.json", X25LO_SYSTEM_CONFIG};
	struct stat st;

	for (size_t i = 0; i < sizeof(candidates) / sizeof(candidates[0]); i++) {
		if (lstat(candidates[i], &st) == 0 || (errno != ENOENT && errno != ENOTDIR))
			return candidates[i];
	}
	log_error("no config file: neither config.json in the working directory nor %s exists; "
		  "pass -config FILE, or create one of them", X25LO_SYSTEM_CONFIG);
	return NULL;
}

static int parse_options(int argc, char **argv, struct options *opts)
{
	static const struct option longopts[] = {
		{"config", required_argument, NULL, 'c'}, {"trace", no_argument, NULL, 't'},
		{"stats-port", required_argument, NULL, 's'}, {"pcap", required_argument, NULL, 'p'},
		{"call-records", required_argument, NULL, 'r'},
		{"user", required_argument, NULL, 'u'}, {"check", no_argument, NULL, 'k'},
		{"version", no_argument, NULL, 'v'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0},
	};
	int c;

	*opts = (struct options){.stats_port = -1};
	while ((c = getopt_long_only(argc, argv, "h", longopts, NULL)) != -1) {
		char *end;
		long port;

		switch (c) {
		case 'c': opts->config_path = optarg; break;
		case 't': opts->trace = true; break;
		case 'k': opts->check = true; break;
		case 'u':
			if (strlen(optarg) >= sizeof(((struct config *)0)->user)) {
				fprintf(stderr, "x25lo: -user: the name is %zu bytes long, at most %zu are allowed\n",
					strlen(optarg), sizeof(((struct config *)0)->user) - 1);
				return EXIT_CONFIG;
			}
			opts->user = optarg;
			break;
		case 'p':
			if (strlen(optarg) >= sizeof(((struct config *)0)->pcap_path)) {
				fprintf(stderr, "x25lo: -pcap: the path is %zu bytes long, at most %zu are allowed; "
					"use a shorter path\n", strlen(optarg), sizeof(((struct config *)0)->pcap_path) - 1);
				return EXIT_CONFIG;
			}
			opts->pcap_path = optarg;
			break;
		case 'r':
			if (strlen(optarg) >= sizeof(((struct config *)0)->call_records)) {
				fprintf(stderr, "x25lo: -call-records: the path is %zu bytes long, at most %zu are allowed; "
					"use a shorter path\n", strlen(optarg), sizeof(((struct config *)0)->call_records) - 1);
				return EXIT_CONFIG;
			}
			opts->call_records = optarg;
			break;
		case 's':
			errno = 0;
			port = strtol(optarg, &end, 10);
			if (errno || *end || end == optarg || port < 0 || port > 65535) {
				fprintf(stderr, "x25lo: -stats-port: \"%s\" is not a port number (0-65535)\n", optarg);
				return EXIT_CONFIG;
			}
			opts->stats_port = (int)port;
			break;
		case 'v': printf("x25lo %s\n", X25LO_VERSION); exit(0);
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return EXIT_CONFIG;
		}
	}
	if (optind < argc)
		opts->config_path = argv[optind++];
	if (optind < argc) {
		fprintf(stderr, "x25lo: unexpected argument \"%s\"; give one config file\n", argv[optind]);
		return EXIT_CONFIG;
	}
	if (!opts->config_path && !(opts->config_path = default_config_path()))
		return EXIT_CONFIG;
	return 0;
}

/* The options that override config keys, at start and on every reload. */
static void apply_options(const struct options *opts, struct config *cfg)
{
	if (opts->stats_port >= 0)
		cfg->stats_port = opts->stats_port;
	if (opts->pcap_path)
		snprintf(cfg->pcap_path, sizeof(cfg->pcap_path), "%s", opts->pcap_path);
	if (opts->call_records)
		snprintf(cfg->call_records, sizeof(cfg->call_records), "%s", opts->call_records);
	if (opts->user)
		snprintf(cfg->user, sizeof(cfg->user), "%s", opts->user);
}

/* The user to run as after set-up; exit status on error (a missing user is a config error). */
static int resolve_user(const struct options *opts, const struct config *cfg, struct privilege_user *user)
{
	char err[512];
	int rc;

	*user = (struct privilege_user){0};
	if (!cfg->user[0])
		return 0;
	rc = privilege_lookup(cfg->user, user, err, sizeof(err));
	if (rc == 0)
		return 0;
	if (opts->user)
		log_error("-user: %s", err);
	else
		log_error("%s: tun-loopback.user: %s", opts->config_path, err);
	return rc == PRIVILEGE_NO_SUCH_USER ? EXIT_CONFIG : 1;
}

static int load_config(const struct options *opts, struct config *cfg)
{
	char err[1024];

	config_defaults(cfg);
	if (config_load(opts->config_path, cfg, err, sizeof(err)) < 0) {
		log_error("%s", err);
		return -1;
	}
	apply_options(opts, cfg);
	return 0;
}

/* Refuse to start where the relay cannot work, saying what to change. */
static int preflight(const struct config *cfg)
{
	int fd = kernel_x25_socket();
	int forward;

	if (fd < 0) {
		if (errno == EAFNOSUPPORT)
			log_error("this kernel has no X.25 (AF_X25): load it with `modprobe x25`, or use the VM "
				  "test bed (`vm/x25lo-vm shell`)");
		else
			log_error("cannot open an AF_X25 socket: %s", strerror(errno));
		return -1;
	}
	close(fd);
	if (capng_get_caps_process() == 0 && !capng_have_capability(CAPNG_EFFECTIVE, CAP_NET_ADMIN)) {
		log_error("x25lo needs CAP_NET_ADMIN to create TUN devices and X.25 routes: run it as root "
			  "or grant it (setcap cap_net_admin+ep x25lo)");
		return -1;
	}
	forward = kernel_forward_enabled();
	if (forward == 1) {
		log_error("net.x25.x25_forward is 1: the kernel would forward unanswered calls between TUNs "
			  "and loop them; set it to 0 (sysctl -w net.x25.x25_forward=0)");
		return -1;
	}
	for (size_t i = 0; i < cfg->nroutes; i++) {
		char dev[IFNAMSIZ + 8], want[64];

		snprintf(want, sizeof(want), "%s%zu", cfg->device_prefix, i);
		if (kernel_route_find(cfg->routes[i], dev, sizeof(dev)) == 1 && strcmp(dev, want) != 0) {
			log_error("a kernel X.25 route for %s already exists on %s: remove it "
				  "(or stop what added it) before starting x25lo",
				  cfg->routes[i], dev);
			return -1;
		}
	}
	return 0;
}

static void reload(struct watchers *w, const char *why)
{
	struct relay *relay = w->relay;
	struct config next;
	char err[1024], hint[256];
	bool sighup = strcmp(why, "SIGHUP") == 0;

	/* systemd learns of a reload it asked for (SIGHUP) at once; READY=1 follows it (service.c). */
	if (sighup)
		service_reloading();
	config_defaults(&next);
	if (config_load(w->opts->config_path, &next, err, sizeof(err)) < 0) {
		privilege_unreadable_hint(w->opts->config_path, hint, sizeof(hint));
		relay->last_reload_ok = false;
		snprintf(relay->last_reload_error, sizeof(relay->last_reload_error), "%.310s%.200s", err, hint);
		log_error("%s%s; keeping the running configuration", err, hint);
		return;
	}
	apply_options(w->opts, &next);
	config_reload_merge(&next, &relay->cfg);
	/* An editor's save can raise several events: an unchanged file is not a reload. */
	if (!sighup && memcmp(&next, &relay->cfg, sizeof(next)) == 0)
		return;
	if (!sighup)
		service_reloading();
	daemon_apply_config(relay, &next);
	relay->last_reload_ok = true;
	relay->last_reload_error[0] = '\0';
	log_info("Configuration reloaded from %s", w->opts->config_path);
}

static void signal_readable(void *ctx, uint32_t events)
{
	struct watchers *w = ctx;
	struct signalfd_siginfo si;

	while (read(w->signal_fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGHUP:
			reload(w, "SIGHUP");
			callrec_sync(w->relay, true); /* logrotate: records go to the file now at the path */
			break;
		case SIGUSR1:
			relay_read_drops(w->relay);
			stats_log_dump(w->relay);
			break;
		case SIGINT:
		case SIGTERM: daemon_begin_shutdown(w->relay); break;
		default: break;
		}
	}
}

static void inotify_readable(void *ctx, uint32_t events)
{
	struct watchers *w = ctx;
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	bool changed = false;
	ssize_t n;

	while ((n = read(w->inotify_fd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n;) {
			struct inotify_event *ev = (struct inotify_event *)p;

			if (ev->len && strcmp(ev->name, w->config_base) == 0)
				changed = true;
			p += sizeof(*ev) + ev->len;
		}
	}
	if (changed) {
		reload(w, "file changed");
		callrec_sync(w->relay, false);
	}
}

static int setup_watchers(struct watchers *w, struct loop *loop)
{
	sigset_t mask;
	char copy[PATH_MAX];

	sigemptyset(&mask);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGUSR1);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
		return -1;
	signal(SIGPIPE, SIG_IGN);
	w->signal_fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (w->signal_fd < 0 || loop_add(loop, &w->signal_watch, w->signal_fd, EPOLLIN, signal_readable, w) < 0)
		return -1;

	/* Watch the directory: editors replace the file, which a watch on the file would miss. */
	snprintf(copy, sizeof(copy), "%s", w->opts->config_path);
	snprintf(w->config_base, sizeof(w->config_base), "%s", basename(copy));
	snprintf(copy, sizeof(copy), "%s", w->opts->config_path);
	snprintf(w->config_dir, sizeof(w->config_dir), "%s", dirname(copy));
	w->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (w->inotify_fd < 0 ||
	    inotify_add_watch(w->inotify_fd, w->config_dir, IN_CLOSE_WRITE | IN_MOVED_TO) < 0 ||
	    loop_add(loop, &w->inotify_watch, w->inotify_fd, EPOLLIN, inotify_readable, w) < 0) {
		log_warn("cannot watch %s for changes (%s); reload with SIGHUP", w->config_dir, strerror(errno));
	}
	return 0;
}

int main(int argc, char **argv)
{
	static struct relay relay; /* large (the read buffer): keep it off the stack */
	struct options opts;
	struct watchers w = {.relay = &relay, .opts = &opts, .signal_fd = -1, .inotify_fd = -1};
	struct config cfg;
	struct privilege_user user;
	struct loop *loop;
	bool bounding_kept;
	char err[1024];
	int rc = parse_options(argc, argv, &opts);

	if (rc)
		return rc;
	log_trace_on = opts.trace;
	if (load_config(&opts, &cfg) < 0)
		return EXIT_CONFIG;
	rc = resolve_user(&opts, &cfg, &user);
	if (rc)
		return rc;
	if (opts.check) {
		config_print(stdout, &cfg);
		return 0;
	}
	if (preflight(&cfg) < 0)
		return 1;
	if (privilege_check(&user, err, sizeof(err)) < 0) {
		log_error("%s", err);
		return 1;
	}
	loop = loop_new();
	if (!loop) {
		log_error("cannot create the event loop: %s", strerror(errno));
		return 1;
	}
	if (setup_watchers(&w, loop) < 0) {
		log_error("cannot set up signal handling: %s", strerror(errno));
		return 1;
	}
	log_info("Configuration reloaded from %s", opts.config_path);
	relay_init(&relay, loop, &cfg);
	service_init(&relay);
	if (cfg.pcap_path[0]) {
		relay.pcap = pcap_open(cfg.pcap_path, cfg.pcap_max_bytes, err, sizeof(err));
		if (!relay.pcap) {
			log_error("%s", err);
			return 1;
		}
	}
	if (cfg.call_records[0]) {
		relay.callrec = callrec_open(&relay, err, sizeof(err));
		if (!relay.callrec) {
			log_error("%s", err);
			return 1;
		}
	}
	if (cfg.stats_port > 0) {
		relay.stats = stats_server_start(&relay, cfg.stats_bind, cfg.stats_port, err, sizeof(err));
		if (!relay.stats)
			log_error("%s; continuing without the stats server", err);
	}
	if (daemon_start(&relay, opts.config_path, err, sizeof(err)) < 0) {
		log_error("%s", err);
		daemon_stop(&relay);
		return 1;
	}
	/* Rotation creates files as the user x25lo becomes; the current one must be its too. */
	pcap_set_owner(relay.pcap, user.set ? user.uid : geteuid(), user.set ? user.gid : getegid());
	callrec_set_owner(relay.callrec, user.set ? user.uid : geteuid(), user.set ? user.gid : getegid());
	/* Set up: from here on only CAP_NET_ADMIN (TUNs and routes on reload), no exec gains anything. */
	if (privilege_drop(&user, &bounding_kept, err, sizeof(err)) < 0) {
		log_error("%s; stopping", err);
		daemon_stop(&relay);
		return 1;
	}
	if (user.set)
		log_info("Running as user %s (uid %u, gid %u) with CAP_NET_ADMIN only, no_new_privs", user.name,
			 (unsigned)user.uid, (unsigned)user.gid);
	else
		log_info("Running as uid %u with CAP_NET_ADMIN only, no_new_privs", (unsigned)getuid());
	if (bounding_kept)
		log_info("The capability bounding set is left as it was: shrinking it needs CAP_SETPCAP "
			 "(setcap cap_net_admin,cap_setpcap+ep x25lo); no_new_privs already keeps programs x25lo "
			 "might run from gaining capabilities");
	privilege_warn_access(opts.config_path);
	service_started(); /* READY=1 once every link is operational */
	rc = loop_run(loop, daemon_after_batch, &relay) < 0 ? 1 : 0;
	service_stopping();
	daemon_stop(&relay);
	if (relay.stats)
		stats_server_stop(relay.stats);
	if (relay.pcap)
		pcap_close(relay.pcap);
	callrec_close(relay.callrec); /* after daemon_stop: the calls it ended have their records */
	service_stop();
	loop_free(loop);
	log_info("x25lo stopped");
	return rc;
}
