/* daemon.c - the relay's life: TUNs set up and torn down, reloads, link events, timers, shutdown. */
#include "daemon.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "call.h"
#include "link.h"
#include "log.h"
#include "rtnl.h"
#include "tun.h"

#define SHUTDOWN_WAIT_MS 1500 /* how long SIGTERM waits for CLEAR CONFIRMATIONs */

static struct tun *tun_by_ifindex(struct relay *relay, int ifindex)
{
	for (unsigned i = 0; i < relay->ntuns; i++)
		if (relay->tuns[i] && relay->tuns[i]->ifindex == ifindex)
			return relay->tuns[i];
	return NULL;
}

static struct tun *tun_by_address(struct relay *relay, const char *address)
{
	for (unsigned i = 0; i < relay->ntuns; i++)
		if (relay->tuns[i] && strcmp(relay->tuns[i]->address, address) == 0)
			return relay->tuns[i];
	return NULL;
}

static int add_route(struct relay *relay, struct tun *t, char *err, size_t errlen)
{
	char dev[IFNAMSIZ + 8];

	/* Routes are global: refuse to shadow one that another device owns. */
	if (x25_route_find(t->address, dev, sizeof(dev)) == 1) {
		if (strcmp(dev, t->name) == 0) {
			t->route_added = true;
			return 0;
		}
		snprintf(err, errlen,
			 "a kernel X.25 route for %s/%zu already exists on %s; remove it (or stop what added it) "
			 "before x25lo can route this address",
			 t->address, strlen(t->address), dev);
		return -1;
	}
	if (x25_route_add(relay->x25_fd, t->address, t->name, err, errlen) < 0)
		return -1;
	t->route_added = true;
	return 0;
}

static int tun_add(struct relay *relay, const char *address, char *err, size_t errlen)
{
	const struct config *cfg = &relay->cfg;
	unsigned index = 0;
	struct tun *t;

	while (index < CONFIG_MAX_ROUTES && index < relay->ntuns && relay->tuns[index])
		index++;
	if (index >= CONFIG_MAX_ROUTES) {
		snprintf(err, errlen, "too many TUNs (at most %d)", CONFIG_MAX_ROUTES);
		return -1;
	}
	t = calloc(1, sizeof(*t));
	if (!t) {
		snprintf(err, errlen, "out of memory for TUN %u", index);
		return -1;
	}
	t->relay = relay;
	t->index = index;
	t->fd = -1;
	snprintf(t->name, sizeof(t->name), "%s%u", cfg->device_prefix, index);
	snprintf(t->address, sizeof(t->address), "%s", address);
	t->extended = cfg->extended;
	t->lci_start = (uint16_t)cfg->lci_start;
	t->lci_end = (uint16_t)cfg->lci_end;
	t->lci_cursor = t->lci_end;
	t->calls = calloc((size_t)(t->lci_end - t->lci_start) + 1, sizeof(*t->calls));
	if (!t->calls) {
		snprintf(err, errlen, "out of memory for the calls of %s", t->name);
		goto fail;
	}
	t->fd = tun_open(t->name, &t->ifindex, err, errlen);
	if (t->fd < 0)
		goto fail;
	if (rtnl_set_fifo_qdisc(t->ifindex, err, errlen) < 0)
		log_warn("%s: %s; frames may be dropped under load", t->name, err);
	if (tun_set_up(t->name, true, err, errlen) < 0)
		goto fail;
	t->admin_up = true;
	if (x25_set_subscription(relay->x25_fd, t->name, t->extended, err, errlen) < 0)
		goto fail;
	if (add_route(relay, t, err, errlen) < 0)
		goto fail;
	if (loop_add(relay->loop, &t->watch, t->fd, EPOLLIN, relay_tun_readable, t) < 0) {
		snprintf(err, errlen, "%s: cannot watch the TUN: %s", t->name, strerror(errno));
		goto fail;
	}
	relay->tuns[index] = t;
	if (index >= relay->ntuns)
		relay->ntuns = index + 1;
	log_info("TUN interface %s ready", t->name);
	log_info("x25lo: %s \u2192 address %s (LCI range %u-%u)", t->name, t->address, t->lci_start, t->lci_end);
	link_start(t);
	return 0;
fail:
	if (t->route_added)
		x25_route_del(relay->x25_fd, t->address, t->name);
	if (t->fd >= 0)
		close(t->fd);
	free(t->calls);
	free(t);
	return -1;
}

/* Forget t's calls (their peers are cleared), remove its route and device. */
static void tun_remove(struct relay *relay, struct tun *t, const char *why)
{
	unsigned cleared = call_forget_tun(t, X25_CAUSE_OUT_OF_ORDER, true);

	log_info("%s: removing (%s); cleared %u peer calls", t->name, why, cleared);
	if (t->route_added)
		x25_route_del(relay->x25_fd, t->address, t->name);
	loop_del(relay->loop, &t->watch);
	/* Closing a non-persistent TUN unregisters it: the kernel kills its sockets at once. */
	close(t->fd);
	t->fd = -1;
	t->retired = true;
	relay->tuns[t->index] = NULL;
	while (relay->ntuns > 0 && !relay->tuns[relay->ntuns - 1])
		relay->ntuns--;
	if (relay->nretired < sizeof(relay->retired) / sizeof(relay->retired[0]))
		relay->retired[relay->nretired++] = t;
}

/* The interface state behind t changed, or notifications were lost. */
static void tun_check_interface(struct relay *relay, struct tun *t)
{
	char err[256], dev[IFNAMSIZ + 8];
	int up = tun_is_up(t->name);
	bool restart_link = t->link != LINK_READY;

	if (up < 0) {
		tun_remove(relay, t, "its interface is gone; SIGHUP re-creates it");
		return;
	}
	if (!up) {
		if (t->admin_up) {
			t->admin_up = false;
			link_lost(t, "interface down");
			t->link = LINK_DOWN;
			t->route_added = false; /* the kernel deletes routes of a downed device */
		}
		return;
	}
	if (t->admin_up && t->route_added) {
		/* Still up, but a quick down/up between two notifications also deletes the route. */
		if (x25_route_find(t->address, dev, sizeof(dev)) != 0)
			return;
		link_lost(t, "interface went down and up");
		restart_link = true;
	}
	t->admin_up = true;
	if (add_route(relay, t, err, sizeof(err)) < 0)
		log_error("%s: %s; x25lo retries at the next change of the interface", t->name, err);
	else
		log_info("%s: interface up; route %s in place", t->name, t->address);
	if (restart_link)
		link_start(t);
}

static void rtnl_link_event(void *ctx, int ifindex, bool gone)
{
	struct relay *relay = ctx;
	struct tun *t = tun_by_ifindex(relay, ifindex);

	if (!t)
		return;
	if (gone) {
		tun_remove(relay, t, "its interface was deleted; SIGHUP re-creates it");
		return;
	}
	tun_check_interface(relay, t);
}

static void rtnl_readable(void *ctx, uint32_t events)
{
	struct relay *relay = ctx;

	if (rtnl_read_links(relay->rtnl_fd, rtnl_link_event, relay) < 0) {
		/* Lost notifications (ENOBUFS): look at every TUN. */
		for (unsigned i = 0; i < relay->ntuns; i++)
			if (relay->tuns[i])
				tun_check_interface(relay, relay->tuns[i]);
	}
}

static unsigned legs_mapped(const struct relay *relay)
{
	unsigned n = 0;

	for (unsigned i = 0; i < relay->ntuns; i++)
		if (relay->tuns[i])
			n += relay->tuns[i]->legs_mapped;
	return n;
}

static void timer_fired(void *ctx, uint32_t events)
{
	struct relay *relay = ctx;
	uint64_t expirations;

	if (read(relay->timer_fd, &expirations, sizeof(expirations)) < 0 && errno != EAGAIN)
		log_warn("reading the timer failed: %s", strerror(errno));
	relay->timer_armed_ms = 0;
	call_expire(relay, loop_now_ms());
}

static void arm_timer(struct relay *relay)
{
	uint64_t next = call_next_deadline(relay);
	struct itimerspec its = {0};

	if (relay->shutdown_deadline_ms && (next == 0 || relay->shutdown_deadline_ms < next))
		next = relay->shutdown_deadline_ms;
	/*
	 * Only ever move the timer earlier: a deadline that moved later (the head call was
	 * answered) is found when the timer fires, which costs one wake-up instead of a
	 * timerfd_settime for every call set up and cleared.
	 */
	if (next == 0 || (relay->timer_armed_ms != 0 && relay->timer_armed_ms <= next))
		return;
	relay->timer_armed_ms = next;
	if (next) {
		/* CLOCK_MONOTONIC absolute time in ms, as loop_now_ms. */
		its.it_value.tv_sec = (time_t)(next / 1000);
		its.it_value.tv_nsec = (long)(next % 1000) * 1000000L;
	}
	timerfd_settime(relay->timer_fd, TFD_TIMER_ABSTIME, &its, NULL);
}

void daemon_after_batch(void *ctx)
{
	struct relay *relay = ctx;

	for (unsigned i = 0; i < relay->ntuns; i++)
		if (relay->tuns[i] && relay->tuns[i]->failed)
			tun_remove(relay, relay->tuns[i], "its TUN failed");

	for (unsigned i = 0; i < relay->nretired; i++) {
		free(relay->retired[i]->calls);
		free(relay->retired[i]);
	}
	relay->nretired = 0;
	if (relay->shutting_down) {
		unsigned left = legs_mapped(relay);

		if (left == 0 || loop_now_ms() >= relay->shutdown_deadline_ms) {
			if (left)
				log_info("Shutting down with %u channels still clearing", left);
			loop_stop(relay->loop);
			return;
		}
	}
	arm_timer(relay);
}

int daemon_start(struct relay *relay, struct loop *loop, const struct config *cfg, const char *config_path,
		 char *err, size_t errlen)
{
	relay->loop = loop;
	relay->cfg = *cfg;
	relay->started_ms = loop_now_ms();
	relay->config_generation = 1;
	relay->last_reload_ok = true;
	relay->x25_fd = -1;
	relay->timer_fd = -1;
	relay->rtnl_fd = -1;
	snprintf(relay->config_path, sizeof(relay->config_path), "%s", config_path);

	relay->x25_fd = socket(AF_X25, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (relay->x25_fd < 0) {
		snprintf(err, errlen, "cannot open an AF_X25 socket: %s (is the x25 module loaded? modprobe x25)",
			 strerror(errno));
		return -1;
	}
	relay->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (relay->timer_fd < 0 ||
	    loop_add(loop, &relay->timer_watch, relay->timer_fd, EPOLLIN, timer_fired, relay) < 0) {
		snprintf(err, errlen, "cannot create the relay timer: %s", strerror(errno));
		return -1;
	}
	/* Watch before creating TUNs, so no interface change can slip between the two. */
	relay->rtnl_fd = rtnl_open_monitor(err, errlen);
	if (relay->rtnl_fd < 0)
		return -1;
	if (loop_add(loop, &relay->rtnl_watch, relay->rtnl_fd, EPOLLIN, rtnl_readable, relay) < 0) {
		snprintf(err, errlen, "cannot watch rtnetlink: %s", strerror(errno));
		return -1;
	}
	for (size_t i = 0; i < cfg->nroutes; i++)
		if (tun_add(relay, cfg->routes[i], err, errlen) < 0)
			return -1;
	return 0;
}

void daemon_apply_config(struct relay *relay, const struct config *next)
{
	char err[512];

	for (unsigned i = 0; i < relay->ntuns; i++) {
		struct tun *t = relay->tuns[i];
		bool kept = false;

		if (!t)
			continue;
		for (size_t r = 0; r < next->nroutes && !kept; r++)
			kept = strcmp(next->routes[r], t->address) == 0;
		if (!kept)
			tun_remove(relay, t, "route removed from the configuration");
	}
	relay->cfg = *next;
	for (size_t r = 0; r < next->nroutes; r++) {
		if (tun_by_address(relay, next->routes[r]))
			continue;
		if (tun_add(relay, next->routes[r], err, sizeof(err)) < 0)
			log_error("cannot add route %s: %s", next->routes[r], err);
	}
	relay->config_generation++;
}

void daemon_log_state(const struct relay *relay)
{
	unsigned channels = legs_mapped(relay), calls = relay->calls_by_state[CALL_SETUP] +
							     relay->calls_by_state[CALL_CONNECTED] +
							     relay->calls_by_state[CALL_CLEARING];

	log_info("x25lo state: calls=%u setup=%u connected=%u clearing=%u channels=%u relayed=%llu "
		 "lci_reused=%llu call_timeouts=%llu clear_timeouts=%llu unknown_lci=%llu ",
		 calls, relay->calls_by_state[CALL_SETUP], relay->calls_by_state[CALL_CONNECTED],
		 relay->calls_by_state[CALL_CLEARING], channels, (unsigned long long)relay->counters.calls_relayed,
		 (unsigned long long)relay->counters.lci_reused, (unsigned long long)relay->counters.call_timeouts,
		 (unsigned long long)relay->counters.clear_timeouts,
		 (unsigned long long)(relay->counters.unknown_lci_cleared + relay->counters.unknown_lci_confirmed));
}

void daemon_begin_shutdown(struct relay *relay)
{
	if (relay->shutting_down)
		return;
	relay->shutting_down = true;
	relay->shutdown_deadline_ms = loop_now_ms() + SHUTDOWN_WAIT_MS;
	log_info("Shutting down: clearing %u calls", relay->calls_by_state[CALL_SETUP] +
							      relay->calls_by_state[CALL_CONNECTED]);
	call_clear_all(relay, X25_CAUSE_OUT_OF_ORDER, X25_DIAG_NONE);
}

void daemon_stop(struct relay *relay)
{
	for (unsigned i = 0; i < relay->ntuns; i++)
		if (relay->tuns[i])
			tun_remove(relay, relay->tuns[i], "shutting down");
	daemon_after_batch(relay);
	if (relay->rtnl_fd >= 0)
		close(relay->rtnl_fd);
	if (relay->timer_fd >= 0)
		close(relay->timer_fd);
	if (relay->x25_fd >= 0)
		close(relay->x25_fd);
}
