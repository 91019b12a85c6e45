/* fuzz_module.h - drives a module's handle with any bytes, as a stream peer
 * would send them: in chunks, then end of input.  Include it from a fuzzer
 * built together with the module's source. */
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config.h"
#include "model.h"
#include "request.h"
#include "transport.h"

extern const struct ms_module modserv_module;

static struct ms_service *
fuzz_service(void)
{
	static struct service_conf sc;
	static struct config cfg;
	static struct ms_service svc;
	char err[256];

	if (svc.conf)
		return &svc;
	sc.name = "fuzz";
	sc.module = "fuzz";
	sc.transport = &transport_tcp;
	sc.model = model_find("select");
	sc.max_request = 1 << 20;
	cfg.file = "fuzz.conf";
	svc.conf = &sc;
	svc.conn_type = &conn_plain;
	svc.cfg = &cfg;
	svc.nlisten = 0;
	svc.module.mod = &modserv_module;
	svc.module.path = "fuzz";
	if (modserv_module.init && modserv_module.init(&svc, err, sizeof(err)))
		__builtin_trap();
	return &svc;
}

/* The first byte sets the chunk size; the rest is what the peer sends. */
static void
fuzz_module_run(const uint8_t *data, size_t n)
{
	struct sockaddr_in peer = {.sin_family = AF_INET};
	struct ms_request r;
	size_t chunk, at = 1;
	int sv[2];

	if (n < 1 || socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		return;
	chunk = (size_t)data[0] + 1;
	peer.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	request_init(&r, fuzz_service(), sv[0], (struct sockaddr *)&peer,
	    sizeof(peer), 0);
	if (request_setup(&r) < 0) {
		close(sv[1]);
		return;
	}
	while (at < n && !r.done) {
		size_t k = chunk < n - at ? chunk : n - at;

		buffer_append(&r.in, data + at, k);
		at += k;
		request_handle(&r);
	}
	if (!r.done) {
		r.eof = 1;
		request_handle(&r);
	}
	request_finish(&r);
	close(sv[1]);
}
