/* harness.c - start, watch and stop the real modserv; be its client. */
#include "harness.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct server srv;

long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
srv_setup(void **state)
{
	(void)state;
	return server_prepare(&srv);
}

int
srv_teardown(void **state)
{
	(void)state;
	if (srv.pid > 0) /* a test failed with it running: show why */
		fprintf(stderr, "%s\n", server_log(&srv, 0));
	server_cleanup(&srv);
	return 0;
}

int
run_for_model(int argc, char **argv, const char *group,
    const struct CMUnitTest *tests, size_t n, void (*before)(void),
    const char **model)
{
	char name[64];

	if (argc != 2) {
		fprintf(stderr, "usage: %s MODEL\n", argv[0]);
		return 2;
	}
	*model = argv[1];
	if (before)
		before();
	snprintf(name, sizeof(name), "%s/%s", group, *model);
	return _cmocka_run_group_tests(name, tests, n, NULL, NULL);
}

int
server_prepare(struct server *s)
{
	memset(s, 0, sizeof(*s));
	s->pid = -1;
	s->status = -1;
	s->errfd = -1;
	snprintf(s->dir, sizeof(s->dir), "/tmp/modserv-test.XXXXXX");
	if (mkdtemp(s->dir) == NULL)
		return -1;
	snprintf(s->conf, sizeof(s->conf), "%s/modserv.conf", s->dir);
	signal(SIGPIPE, SIG_IGN);
	/* the modules are reached through the test's own folder, 0700 as
	 * mkdtemp makes it: as an operator's /root or home, where only root
	 * may look, while the services run as nobody */
	snprintf(s->modules, sizeof(s->modules), "%s/modules", s->dir);
	snprintf(
	    s->testmodules, sizeof(s->testmodules), "%s/testmodules", s->dir);
	if (symlink(MODSERV_MODULES, s->modules) < 0 ||
	    symlink(TEST_MODULES, s->testmodules) < 0)
		return -1;
	return 0;
}

const char *
harness_user(void)
{
	struct passwd *pw;

	if (geteuid() == 0)
		return "nobody";
	pw = getpwuid(geteuid());
	return pw ? pw->pw_name : "nobody";
}

static void
replace_all(char *text, size_t size, const char *from, const char *to)
{
	char *p, tmp[1 << 16];

	while ((p = strstr(text, from)) != NULL) {
		snprintf(tmp, sizeof(tmp), "%s", p + strlen(from));
		snprintf(p, size - (size_t)(p - text), "%s%s", to, tmp);
	}
}

int
server_write_conf(struct server *s, const char *fmt, ...)
{
	char text[1 << 16];
	va_list ap;
	FILE *f;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	replace_all(text, sizeof(text), "@DIR@", s->dir);
	replace_all(text, sizeof(text), "@MODULES@", s->modules);
	replace_all(text, sizeof(text), "@TESTMODULES@", s->testmodules);
	/* services run as nobody under root, as operators run them, or as
	 * whoever runs the tests; unless a test says */
	if (strstr(text, "user") == NULL) {
		size_t n = strlen(text);

		snprintf(text + n, sizeof(text) - n, "user = \"%s\";\n",
		    harness_user());
	}
	/* a line a request would bury what a test waits for in the log:
	 * tests of the access log say where it goes */
	if (strstr(text, "access_log") == NULL) {
		size_t n = strlen(text);

		snprintf(text + n, sizeof(text) - n, "access_log = \"off\";\n");
	}
	if ((f = fopen(s->conf, "w")) == NULL)
		return -1;
	fputs(text, f);
	return fclose(f);
}

int
server_write_one(struct server *s, const char *transport, const char *listen,
    const char *model, const char *module, const char *keys)
{
	if (listen == NULL)
		listen = strncmp(transport, "unix", 4) == 0 ? "@DIR@/s.sock"
		                                            : "127.0.0.1:0";
	return server_write_conf(s,
	    "module_path = [ \"@MODULES@\", \"@TESTMODULES@\" ];\n"
	    "shutdown_timeout = 5;\n"
	    "services = ( { name = \"s\"; transport = \"%s\";\n"
	    "  listen = \"%s\"; model = \"%s\"; module = \"%s\";\n"
	    "  %s } );\n",
	    transport, listen, model, module, keys ? keys : "");
}

int
server_start_one(struct server *s, const char *transport, const char *listen,
    const char *model, const char *module, const char *keys)
{
	if (server_write_one(s, transport, listen, model, module, keys) < 0)
		return -1;
	return server_start(s, 1, NULL);
}

/* Appends what the log file gained to s->log, waiting up to ms for
 * something new.  The server logs to a file, never to a pipe that a busy
 * test could leave unread (a full pipe would stall the server). */
static int
server_read_log(struct server *s, int ms)
{
	long long end = now_ms() + ms;
	ssize_t n;

	if (s->errfd < 0)
		return 0;
	for (;;) {
		n = read(s->errfd, s->log + s->loglen,
		    sizeof(s->log) - 1 - s->loglen);
		if (n > 0) {
			s->loglen += (size_t)n;
			s->log[s->loglen] = '\0';
			return (int)n;
		}
		if (now_ms() >= end)
			return 0;
		usleep(5000);
	}
}

const char *
server_log(struct server *s, int ms)
{
	while (server_read_log(s, ms) > 0)
		ms = 0;
	return s->log;
}

int
server_wait_log(struct server *s, const char *text, int ms)
{
	long long end = now_ms() + ms;

	while (strstr(s->log, text) == NULL) {
		long long left = end - now_ms();

		if (left <= 0)
			return 0;
		server_read_log(s, (int)left);
	}
	return 1;
}

int
file_wait_for(
    const char *path, const char *want, int ms, char *buf, size_t size)
{
	long long end = now_ms() + ms;

	for (;;) {
		FILE *f = fopen(path, "r");
		size_t n = 0;

		if (f) {
			n = fread(buf, 1, size - 1, f);
			fclose(f);
		}
		buf[n] = '\0';
		if (strstr(buf, want))
			return 1;
		if (now_ms() >= end)
			return 0;
		usleep(20000);
	}
}

int
server_log_count(struct server *s, const char *text)
{
	const char *log = server_log(s, 0);
	int n = 0;

	for (const char *p = log; (p = strstr(p, text)) != NULL; p++)
		n++;
	return n;
}

/* The word before ": " that ends at p in text ("s" of "... s: listening"). */
static void
service_before(const char *text, const char *p, char *name, size_t size)
{
	const char *end = p - 2, *start = end;

	*name = '\0';
	if (p - text < 3 || end[0] != ':' || end[1] != ' ')
		return;
	while (start > text && start[-1] != ' ')
		start--;
	snprintf(name, size, "%.*s", (int)(end - start), start);
}

/* Reads the "SERVICE: listening on TRANSPORT ADDR" lines found so far. */
static void
server_scan_listen(struct server *s)
{
	const char *p = s->log;

	s->nlisten = 0;
	while ((p = strstr(p, "listening on ")) != NULL &&
	       s->nlisten < HARNESS_MAX_LISTEN) {
		if (sscanf(p, "listening on %15s %127s",
		        s->transport[s->nlisten], s->addr[s->nlisten]) == 2 &&
		    strchr(p, '\n')) {
			service_before(s->log, p, s->service[s->nlisten],
			    sizeof(s->service[0]));
			s->nlisten++;
		}
		p++;
	}
}

/* How many services the first n listeners are of. */
static int
server_services(const struct server *s, int n)
{
	int services = 0;

	for (int i = 0; i < n; i++) {
		int j = 0;

		while (j < i && strcmp(s->service[j], s->service[i]) != 0)
			j++;
		services += j == i;
	}
	return services;
}

/* Starts argv with stderr (and stdout if merge_stdout) on the file at
 * logpath, opened for reading in *logfd. */
static pid_t
spawn(
    const char *const *argv, const char *logpath, int *logfd, int merge_stdout)
{
	int wfd = open(
	    logpath, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
	pid_t pid;

	if (wfd < 0)
		return -1;
	if ((pid = fork()) == 0) {
		signal(SIGPIPE, SIG_DFL);
		dup2(wfd, STDERR_FILENO);
		if (merge_stdout)
			dup2(wfd, STDOUT_FILENO);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(wfd);
	*logfd = open(logpath, O_RDONLY | O_CLOEXEC);
	return pid;
}

int
server_spawn(struct server *s, const char *const *argv)
{
	char logpath[320];

	snprintf(logpath, sizeof(logpath), "%s/modserv.log", s->dir);
	return (s->pid = spawn(argv, logpath, &s->errfd, 0)) < 0 ? -1 : 0;
}

int
server_start(struct server *s, int nlisten, ...)
{
	const char *argv[32] = {MODSERV_BIN, "-c", s->conf};
	int argc = 3;
	long long end = now_ms() + 5000;
	va_list ap;

	va_start(ap, nlisten);
	while (argc < 31 && (argv[argc] = va_arg(ap, const char *)) != NULL)
		argc++;
	va_end(ap);
	argv[argc] = NULL;
	char logpath[320];
	int status;

	snprintf(logpath, sizeof(logpath), "%s/modserv.log", s->dir);
	if ((s->pid = spawn(argv, logpath, &s->errfd, 0)) < 0)
		return -1;
	for (;;) {
		server_scan_listen(s);
		if (s->nlisten >= nlisten) {
			/* "listening" is logged before the workers are forked:
			 * wait for them too, one a service */
			int workers = server_services(s, nlisten);

			while (proc_children(s->pid, NULL, 0) < workers &&
			       now_ms() < end)
				usleep(2000);
			return 0;
		}
		if (now_ms() >= end)
			break;
		if (server_read_log(s, 50) == 0 &&
		    waitpid(s->pid, &status, WNOHANG) == s->pid) {
			s->pid = -1;
			s->status = WIFEXITED(status) ? WEXITSTATUS(status)
			                              : 128 + WTERMSIG(status);
			server_log(s, 0);
			break;
		}
	}
	fprintf(stderr, "modserv did not start; its log:\n%s\n", s->log);
	return -1;
}

int
modserv_run(char *out, size_t outlen, ...)
{
	const char *argv[32] = {MODSERV_BIN};
	int argc = 1, fd, status;
	char logpath[] = "/tmp/modserv-run.XXXXXX";
	size_t len = 0;
	ssize_t n;
	pid_t pid;
	va_list ap;

	va_start(ap, outlen);
	while (argc < 31 && (argv[argc] = va_arg(ap, const char *)) != NULL)
		argc++;
	va_end(ap);
	if ((fd = mkstemp(logpath)) < 0)
		return -1;
	close(fd);
	pid = spawn(argv, logpath, &fd, 1);
	unlink(logpath);
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		return -1;
	while (
	    len + 1 < outlen && (n = read(fd, out + len, outlen - 1 - len)) > 0)
		len += (size_t)n;
	out[len] = '\0';
	close(fd);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

long long
server_metric(struct server *s, const char *name, const char *service)
{
	static char status[1 << 16];
	char key[160];
	const char *p;

	assert_int_equal(
	    modserv_run(status, sizeof(status), "-c", s->conf, "-s", NULL), 0);
	snprintf(
	    key, sizeof(key), "modserv_%s{service=\"%s\"} ", name, service);
	return (p = strstr(status, key)) ? atoll(p + strlen(key)) : -1;
}

int
server_stop(struct server *s)
{
	long long end = now_ms() + 20000;
	int status;

	if (s->pid <= 0)
		return -1;
	kill(s->pid, SIGTERM);
	while (now_ms() < end) {
		pid_t r = waitpid(s->pid, &status, WNOHANG);

		if (r == s->pid) {
			s->pid = -1;
			server_log(s, 0);
			s->status = WIFEXITED(status) ? WEXITSTATUS(status)
			                              : 128 + WTERMSIG(status);
			return s->status;
		}
		server_read_log(s, 20);
	}
	kill(s->pid, SIGKILL);
	waitpid(s->pid, &status, 0);
	s->pid = -1;
	return -1;
}

void
server_cleanup(struct server *s)
{
	DIR *d;
	struct dirent *e;
	char path[600];

	if (s->pid > 0)
		server_stop(s);
	if (s->errfd >= 0)
		close(s->errfd);
	s->errfd = -1;
	if ((d = opendir(s->dir)) == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", s->dir, e->d_name);
		unlink(path);
	}
	closedir(d);
	rmdir(s->dir);
}

static int
client_addr(const char *transport, const char *addr,
    struct sockaddr_storage *ss, socklen_t *len)
{
	memset(ss, 0, sizeof(*ss));
	if (strncmp(transport, "unix", 4) == 0) {
		struct sockaddr_un *sun = (struct sockaddr_un *)ss;

		sun->sun_family = AF_UNIX;
		snprintf(sun->sun_path, sizeof(sun->sun_path), "%s", addr);
		*len = sizeof(*sun);
		return 0;
	}
	char host[128];
	const char *colon = strrchr(addr, ':');
	int port = atoi(colon + 1);

	if (addr[0] == '[') {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		snprintf(host, sizeof(host), "%.*s", (int)(colon - addr - 2),
		    addr + 1);
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*sin6);
		return inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1 ? 0
		                                                        : -1;
	}
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;

	snprintf(host, sizeof(host), "%.*s", (int)(colon - addr), addr);
	sin->sin_family = AF_INET;
	sin->sin_port = htons((uint16_t)port);
	*len = sizeof(*sin);
	return inet_pton(AF_INET, host, &sin->sin_addr) == 1 ? 0 : -1;
}

int
client_connect(const char *transport, const char *addr)
{
	struct sockaddr_storage ss;
	socklen_t len;
	struct timeval tv = {10, 0};
	int dgram = strcmp(transport, "udp") == 0 ||
	            strcmp(transport, "unix-dgram") == 0;
	int fd;

	if (client_addr(transport, addr, &ss, &len) < 0)
		return -1;
	fd = socket(
	    ss.ss_family, (dgram ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (dgram && ss.ss_family == AF_UNIX) {
		sa_family_t fam = AF_UNIX; /* autobind: an abstract name */

		if (bind(fd, (struct sockaddr *)&fam, sizeof(fam)) < 0)
			goto fail;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&ss, len) < 0)
		goto fail;
	return fd;
fail:
	close(fd);
	return -1;
}

int
client_connect_from(const char *from, const char *addr)
{
	struct sockaddr_in src = {.sin_family = AF_INET},
	                   dst = {.sin_family = AF_INET};
	struct timeval tv = {5, 0};
	const char *colon = strrchr(addr, ':');
	char host[64];
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || colon == NULL)
		goto fail;
	snprintf(host, sizeof(host), "%.*s", (int)(colon - addr), addr);
	if (inet_pton(AF_INET, from, &src.sin_addr) != 1 ||
	    inet_pton(AF_INET, host, &dst.sin_addr) != 1)
		goto fail;
	dst.sin_port = htons((uint16_t)atoi(colon + 1));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (bind(fd, (struct sockaddr *)&src, sizeof(src)) < 0 ||
	    connect(fd, (struct sockaddr *)&dst, sizeof(dst)) < 0)
		goto fail;
	return fd;
fail:
	if (fd >= 0)
		close(fd);
	return -1;
}

int
free_port(void)
{
	struct sockaddr_in sin = {
	    .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), port = -1;

	if (fd >= 0 && bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sin, &len) == 0)
		port = ntohs(sin.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

int
client_send_all(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n > 0) {
		ssize_t w = send(fd, c, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

int
client_recv_all(int fd, void *p, size_t n)
{
	char *c = p;

	while (n > 0) {
		ssize_t r = recv(fd, c, n, 0);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		c += r;
		n -= (size_t)r;
	}
	return 0;
}

int
client_exchange(int fd, const void *p, size_t n, void *reply)
{
	const char *out = p;
	char *in = reply;
	size_t sent = 0, got = 0;
	long long end = now_ms() + 20000;

	while (got < n) {
		struct pollfd pfd = {
		    .fd = fd, .events = POLLIN | (sent < n ? POLLOUT : 0)};
		ssize_t r;

		if (now_ms() > end || poll(&pfd, 1, 10000) <= 0)
			return -1;
		if (pfd.revents & POLLOUT && sent < n) {
			r = send(fd, out + sent, n - sent,
			    MSG_NOSIGNAL | MSG_DONTWAIT);
			if (r < 0 && errno != EAGAIN)
				return -1;
			if (r > 0)
				sent += (size_t)r;
		}
		if (pfd.revents & (POLLIN | POLLHUP | POLLERR)) {
			r = recv(fd, in + got, n - got, MSG_DONTWAIT);
			if (r == 0 || (r < 0 && errno != EAGAIN))
				return -1;
			if (r > 0)
				got += (size_t)r;
		}
	}
	return 0;
}

void
expect_upper(const void *in, size_t n, void *out)
{
	const unsigned char *i = in;
	unsigned char *o = out;

	for (size_t k = 0; k < n; k++)
		o[k] = i[k] >= 'a' && i[k] <= 'z' ? i[k] - 32 : i[k];
}

long
proc_status_field(pid_t pid, const char *field)
{
	char path[64], line[256];
	long v = -1;
	size_t n = strlen(field);
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, field, n) == 0 && line[n] == ':')
			v = atol(line + n + 1);
	fclose(f);
	return v;
}

int
proc_threads(pid_t pid)
{
	return (int)proc_status_field(pid, "Threads");
}

long
proc_rss_kb(pid_t pid)
{
	return proc_status_field(pid, "VmRSS");
}

/* Calls fn for each child of pid with its state letter. */
static int
proc_scan_children(pid_t pid, pid_t *out, int max, int zombies_only)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL) {
		char path[300], buf[512], *p, state;
		int ppid;
		FILE *f;

		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
		if ((f = fopen(path, "r")) == NULL)
			continue;
		p = fgets(buf, sizeof(buf), f);
		fclose(f);
		if (p == NULL || (p = strrchr(buf, ')')) == NULL ||
		    sscanf(p + 1, " %c %d", &state, &ppid) != 2 || ppid != pid)
			continue;
		if (zombies_only && state != 'Z')
			continue;
		if (out && n < max)
			out[n] = (pid_t)atoi(e->d_name);
		n++;
	}
	closedir(d);
	return n;
}

int
proc_children(pid_t pid, pid_t *out, int max)
{
	return proc_scan_children(pid, out, max, 0);
}

int
proc_zombies(pid_t pid)
{
	return proc_scan_children(pid, NULL, 0, 1);
}

pid_t
server_worker(struct server *s)
{
	pid_t kids[8];
	long long end = now_ms() + 3000;

	while (now_ms() < end) {
		if (proc_children(s->pid, kids, 8) == 1)
			return kids[0];
		usleep(10000);
	}
	fail_msg("no single worker under %d", (int)s->pid);
	return -1;
}
