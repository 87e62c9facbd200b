// SPDX-License-Identifier: GPL-2.0-or-later
/* daemon.c - the relay's life: TUNs set up and torn down, reloads, link events, shutdown. */
#include "daemon.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "call.h"
#include "callrec.h"
#include "kernel_x25.h"
#include "link.h"
#include "log.h"
#include "rtnl.h"
#include "service.h"
#include "tun.h"
#include "xot.h"

#define SHUTDOWN_WAIT_MS 1500 /* how long SIGTERM waits for CLEAR CONFIRMATIONs */
#define DROPS_CHECK_MS 5000   /* how often the kernel's drop counts are read */
#define DROPS_LOG_MS 60000    /* at most one line per TUN this often while they keep growing */

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
	if (kernel_route_find(t->address, dev, sizeof(dev)) == 1) {
		if (strcmp(dev, t->port.name) == 0) {
			t->route_added = true;
			return 0;
		}
		snprintf(err, errlen,
			 "a kernel X.25 route for %s/%zu already exists on %s; remove it (or stop what added it) "
			 "before x25lo can route this address",
			 t->address, strlen(t->address), dev);
		return -1;
	}
	if (kernel_route_add(relay->x25_fd, t->address, t->port.name, err, errlen) < 0)
		return -1;
	t->route_added = true;
	return 0;
}

/* The XOT gateway TUN's routes: every server prefix that no local route shadows (local wins). */
static void xot_routes_sync(struct relay *relay, struct tun *t)
{
	const struct config *cfg = &relay->cfg;
	char want[CONFIG_MAX_SERVERS][CONFIG_ADDR_MAX + 1], dev[IFNAMSIZ + 8], err[256];
	size_t nwant = 0, nkept = 0;

	for (size_t i = 0; cfg->xot_servers && i < cfg->nservers; i++) {
		bool local = false;

		for (size_t r = 0; r < cfg->nroutes && !local; r++)
			local = strcmp(cfg->routes[r], cfg->servers[i].prefix) == 0;
		if (local)
			log_warn("servers[%zu]: the prefix %s is also a local route, which wins: no XOT route for it",
				 i, cfg->servers[i].prefix);
		else
			snprintf(want[nwant++], sizeof(want[0]), "%s", cfg->servers[i].prefix);
	}
	for (size_t i = 0; i < relay->nxot_routes; i++) {
		bool kept = false;

		for (size_t j = 0; j < nwant && !kept; j++)
			kept = strcmp(relay->xot_routes[i], want[j]) == 0;
		if (kept)
			memcpy(relay->xot_routes[nkept++], relay->xot_routes[i], sizeof(relay->xot_routes[0]));
		else
			kernel_route_del(relay->x25_fd, relay->xot_routes[i], t->port.name);
	}
	relay->nxot_routes = nkept;
	for (size_t j = 0; j < nwant; j++) {
		bool have = false;

		for (size_t i = 0; i < nkept && !have; i++)
			have = strcmp(relay->xot_routes[i], want[j]) == 0;
		if (have)
			continue;
		if (kernel_route_find(want[j], dev, sizeof(dev)) == 1 && strcmp(dev, t->port.name) != 0) {
			log_error("a kernel X.25 route for %s/%zu already exists on %s: calls to it go there, not over "
				  "XOT; remove it (or stop what added it), then reload",
				  want[j], strlen(want[j]), dev);
			continue;
		}
		if (kernel_route_add(relay->x25_fd, want[j], t->port.name, err, sizeof(err)) < 0 &&
		    kernel_route_find(want[j], dev, sizeof(dev)) != 1) {
			log_error("%s; calls to %s cannot go over XOT", err, want[j]);
			continue;
		}
		snprintf(relay->xot_routes[relay->nxot_routes++], sizeof(relay->xot_routes[0]), "%s", want[j]);
	}
}

/* A TUN's kernel routes: its address, or for the XOT gateway the servers' prefixes. */
static int routes_add(struct relay *relay, struct tun *t, char *err, size_t errlen)
{
	if (!t->xot_gateway)
		return add_route(relay, t, err, errlen);
	xot_routes_sync(relay, t);
	t->route_added = true;
	return 0;
}

static bool routes_present(struct relay *relay, struct tun *t)
{
	char dev[IFNAMSIZ + 8];

	if (!t->xot_gateway)
		return kernel_route_find(t->address, dev, sizeof(dev)) != 0;
	return relay->nxot_routes == 0 || kernel_route_find(relay->xot_routes[0], dev, sizeof(dev)) != 0;
}

/* The device of a new TUN at index, up and subscribed, watched; its routes come after. */
static struct tun *tun_create(struct relay *relay, unsigned index, const char *address, bool xot_gateway,
			      char *err, size_t errlen)
{
	const struct config *cfg = &relay->cfg;
	/* The gateway injects no calls: one call slot is enough. */
	uint16_t start = xot_gateway ? X25_LCI_MAX : (uint16_t)cfg->lci_start;
	uint16_t end = xot_gateway ? X25_LCI_MAX : (uint16_t)cfg->lci_end;
	struct tun *t = tun_new(relay, cfg->device_prefix, index, address, start, end, cfg->extended);

	if (!t) {
		snprintf(err, errlen, "out of memory for TUN %u and its call table", index);
		return NULL;
	}
	if (xot_gateway) {
		t->xot_gateway = true;
		snprintf(t->port.name, sizeof(t->port.name), "%sxot", cfg->device_prefix);
		snprintf(t->port.description, sizeof(t->port.description), "x25lo TUN for the XOT routes");
	}
	if (tun_open_device(t, err, errlen) < 0)
		goto fail;
	if (rtnl_set_fifo_qdisc(t->ifindex, err, errlen) < 0)
		log_warn("%s: %s; frames may be dropped under load", t->port.name, err);
	if (tun_set_up(t->port.name, true, err, errlen) < 0)
		goto fail;
	t->admin_up = true;
	if (kernel_set_subscription(relay->x25_fd, t->port.name, t->port.extended, err, errlen) < 0)
		goto fail;
	if (routes_add(relay, t, err, errlen) < 0)
		goto fail;
	if (loop_add(relay->loop, &t->watch, t->fd, EPOLLIN, relay_tun_readable, t) < 0) {
		snprintf(err, errlen, "%s: cannot watch the TUN: %s", t->port.name, strerror(errno));
		goto fail;
	}
	relay->tuns[index] = t;
	if (index >= relay->ntuns)
		relay->ntuns = index + 1;
	if (tun_read_drops(t) == 0)
		t->drops_logged = t->port.counters.kernel_tx_dropped + t->port.counters.kernel_rx_dropped;
	log_info("TUN interface %s ready", t->port.name);
	return t;
fail:
	if (t->route_added && !xot_gateway)
		kernel_route_del(relay->x25_fd, t->address, t->port.name);
	tun_free(t);
	return NULL;
}

static int tun_add(struct relay *relay, const char *address, char *err, size_t errlen)
{
	unsigned index = 0;
	struct tun *t;

	while (index < CONFIG_MAX_ROUTES && index < relay->ntuns && relay->tuns[index])
		index++;
	if (index >= CONFIG_MAX_ROUTES) {
		snprintf(err, errlen, "too many TUNs (at most %d)", CONFIG_MAX_ROUTES);
		return -1;
	}
	t = tun_create(relay, index, address, false, err, errlen);
	if (!t)
		return -1;
	log_info("x25lo: %s \u2192 address %s (LCI range %u-%u)", t->port.name, t->address, t->lci_start,
		 t->lci_end);
	link_start(t);
	return 0;
}

/* The XOT gateway TUN exists exactly while some servers route over XOT. */
static void xot_gateway_sync(struct relay *relay)
{
	struct tun *t = relay->tuns[RELAY_XOT_TUN_INDEX];
	bool wanted = relay->cfg.xot_servers && relay->cfg.nservers > 0;
	char err[512];

	if (t && !wanted) {
		daemon_remove_tun(relay, t, "no XOT servers in the configuration");
		return;
	}
	if (t) {
		xot_routes_sync(relay, t);
		return;
	}
	if (!wanted)
		return;
	t = tun_create(relay, RELAY_XOT_TUN_INDEX, "", true, err, sizeof(err));
	if (!t) {
		log_error("cannot create the XOT gateway TUN: %s; calls to the servers' prefixes fail until a reload "
			  "succeeds", err);
		return;
	}
	log_info("x25lo: %s \u2192 %zu XOT route%s", t->port.name, relay->nxot_routes,
		 relay->nxot_routes == 1 ? "" : "s");
	link_start(t);
}

void daemon_remove_tun(struct relay *relay, struct tun *t, const char *why)
{
	unsigned cleared = call_forget_tun(t, X25_CAUSE_OUT_OF_ORDER, true);

	log_info("%s: removing (%s); cleared %u peer calls", t->port.name, why, cleared);
	if (t->xot_gateway) {
		for (size_t i = 0; i < relay->nxot_routes; i++)
			kernel_route_del(relay->x25_fd, relay->xot_routes[i], t->port.name);
		relay->nxot_routes = 0;
	} else if (t->route_added) {
		kernel_route_del(relay->x25_fd, t->address, t->port.name);
	}
	loop_del(relay->loop, &t->watch);
	timer_cancel(&t->link_timer);
	/* Closing a non-persistent TUN unregisters it: the kernel kills its sockets at once. */
	close(t->fd);
	t->fd = -1;
	t->link = LINK_DOWN;
	t->retired = true;
	relay->tuns[t->port.index] = NULL;
	while (relay->ntuns > 0 && !relay->tuns[relay->ntuns - 1])
		relay->ntuns--;
	t->next_retired = relay->retired;
	relay->retired = t;
}

/* The interface state behind t changed, or notifications were lost. */
static void tun_check_interface(struct relay *relay, struct tun *t)
{
	char err[256];
	int up = tun_is_up(t->port.name);
	bool restart_link = t->link != LINK_READY;

	if (up < 0) {
		daemon_remove_tun(relay, t, "its interface is gone; SIGHUP re-creates it");
		return;
	}
	if (!up) {
		if (t->admin_up) {
			t->admin_up = false;
			link_lost(t, "interface down");
			t->link = LINK_DOWN;
			t->route_added = false; /* the kernel deletes routes of a downed device */
			if (t->xot_gateway)
				relay->nxot_routes = 0;
		}
		return;
	}
	if (t->admin_up && t->route_added) {
		/* Still up, but a quick down/up between two notifications also deletes the route. */
		if (routes_present(relay, t))
			return;
		link_lost(t, "interface went down and up");
		restart_link = true;
		if (t->xot_gateway)
			relay->nxot_routes = 0;
	}
	t->admin_up = true;
	if (routes_add(relay, t, err, sizeof(err)) < 0)
		log_error("%s: %s; x25lo retries at the next change of the interface", t->port.name, err);
	else
		log_info("%s: interface up; route%s in place", t->port.name, t->xot_gateway ? "s" : "");
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
		daemon_remove_tun(relay, t, "its interface was deleted; SIGHUP re-creates it");
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

/*
 * Frames the kernel drops on a TUN never reach x25lo's own counters: a full ring on the
 * way to x25lo (tx_dropped), frames x25lo wrote that the kernel threw away (rx_dropped).
 * Look every few seconds, and say so when they grow.
 */
static void drops_check(void *ctx)
{
	struct relay *relay = ctx;
	uint64_t now = loop_now_ms();

	relay_read_drops(relay);
	for (unsigned i = 0; i < relay->ntuns; i++) {
		struct tun *t = relay->tuns[i];
		const struct port_counters *c;

		if (!t)
			continue;
		c = &t->port.counters;
		if (c->kernel_tx_dropped + c->kernel_rx_dropped <= t->drops_logged ||
		    (t->drops_log_ms && now - t->drops_log_ms < DROPS_LOG_MS))
			continue;
		log_warn("%s: the kernel dropped frames on this TUN: tx_dropped %llu (on their way to x25lo: its ring "
			 "was full, x25lo fell behind), rx_dropped %llu (written by x25lo); calls may stall or be "
			 "reset. Give x25lo CPU time, or a deeper ring: ip link set %s txqueuelen N",
			 t->port.name, (unsigned long long)c->kernel_tx_dropped,
			 (unsigned long long)c->kernel_rx_dropped, t->port.name);
		t->drops_logged = c->kernel_tx_dropped + c->kernel_rx_dropped;
		t->drops_log_ms = now;
	}
	timer_set(loop_timers(relay->loop), &relay->drops_timer, now + DROPS_CHECK_MS);
}

/* SIGTERM waited long enough for CLEAR CONFIRMATIONs. */
static void shutdown_expired(void *ctx)
{
	struct relay *relay = ctx;
	unsigned left = relay_channels_mapped(relay);

	if (left)
		log_info("Shutting down with %u channels still clearing", left);
	loop_stop(relay->loop);
}

void daemon_after_batch(void *ctx)
{
	struct relay *relay = ctx;

	for (unsigned i = 0; i < relay->ntuns; i++)
		if (relay->tuns[i] && relay->tuns[i]->failed)
			daemon_remove_tun(relay, relay->tuns[i], "its TUN failed");

	while (relay->retired) {
		struct tun *t = relay->retired;

		relay->retired = t->next_retired;
		tun_free(t);
	}
	xot_after_batch(relay);
	callrec_flush(relay->callrec); /* one write(2) for the batch's call records */
	service_after_batch(); /* READY=1 when owed and every link is up */
	if (relay->shutting_down && relay_channels_mapped(relay) == 0)
		loop_stop(relay->loop);
}

int daemon_start(struct relay *relay, const char *config_path, char *err, size_t errlen)
{
	snprintf(relay->config_path, sizeof(relay->config_path), "%s", config_path);
	relay->x25_fd = kernel_x25_socket();
	if (relay->x25_fd < 0) {
		snprintf(err, errlen, "cannot open an AF_X25 socket: %s (is the x25 module loaded? modprobe x25)",
			 strerror(errno));
		return -1;
	}
	/* Watch before creating TUNs, so no interface change can slip between the two. */
	relay->rtnl_fd = rtnl_open_monitor(err, errlen);
	if (relay->rtnl_fd < 0)
		return -1;
	if (loop_add(relay->loop, &relay->rtnl_watch, relay->rtnl_fd, EPOLLIN, rtnl_readable, relay) < 0) {
		snprintf(err, errlen, "cannot watch rtnetlink: %s", strerror(errno));
		return -1;
	}
	for (size_t i = 0; i < relay->cfg.nroutes; i++)
		if (tun_add(relay, relay->cfg.routes[i], err, errlen) < 0)
			return -1;
	if (xot_start(relay, err, errlen) < 0)
		return -1;
	xot_gateway_sync(relay);
	timer_init(&relay->drops_timer, drops_check, relay);
	timer_set(loop_timers(relay->loop), &relay->drops_timer, loop_now_ms() + DROPS_CHECK_MS);
	return 0;
}

void daemon_apply_config(struct relay *relay, const struct config *next)
{
	char err[512];

	for (unsigned i = 0; i < relay->ntuns; i++) {
		struct tun *t = relay->tuns[i];
		bool kept = false;

		if (!t || t->xot_gateway)
			continue;
		for (size_t r = 0; r < next->nroutes && !kept; r++)
			kept = strcmp(next->routes[r], t->address) == 0;
		if (!kept)
			daemon_remove_tun(relay, t, "route removed from the configuration");
	}
	relay->cfg = *next;
	for (size_t r = 0; r < next->nroutes; r++) {
		if (tun_by_address(relay, next->routes[r]))
			continue;
		if (tun_add(relay, next->routes[r], err, sizeof(err)) < 0)
			log_error("cannot add route %s: %s", next->routes[r], err);
	}
	xot_gateway_sync(relay);
	if (xot_config_changed(relay, err, sizeof(err)) < 0)
		log_error("XOT: %s; calls to servers with dns_name are cleared until a reload succeeds", err);
	relay->config_generation++;
}

void daemon_begin_shutdown(struct relay *relay)
{
	if (relay->shutting_down)
		return;
	relay->shutting_down = true;
	service_stopping();
	timer_init(&relay->shutdown_timer, shutdown_expired, relay);
	timer_set(loop_timers(relay->loop), &relay->shutdown_timer, loop_now_ms() + SHUTDOWN_WAIT_MS);
	log_info("Shutting down: clearing %u calls", relay->calls_by_state[CALL_SETUP] +
							      relay->calls_by_state[CALL_CONNECTED]);
	call_clear_all(relay, X25_CAUSE_OUT_OF_ORDER, X25_DIAG_NONE);
}

void daemon_stop(struct relay *relay)
{
	for (unsigned i = 0; i < relay->ntuns; i++)
		if (relay->tuns[i])
			daemon_remove_tun(relay, relay->tuns[i], "shutting down");
	xot_stop(relay);
	daemon_after_batch(relay);
	timer_cancel(&relay->shutdown_timer);
	timer_cancel(&relay->drops_timer);
	timer_queue_remove(&relay->setup_timers);
	timer_queue_remove(&relay->clearing_timers);
	if (relay->rtnl_fd >= 0)
		close(relay->rtnl_fd);
	if (relay->x25_fd >= 0)
		close(relay->x25_fd);
}
