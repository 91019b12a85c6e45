/*
 * modserv.h - the interface between the modserv host and a handler module.
 *
 * A module is a shared object that exports one symbol, `modserv_module`,
 * defined with MODSERV_MODULE(...).  The host reads that table before it runs
 * any module code, checks its ABI, flags and options against the service's
 * configuration, then drives each request through setup / handle / finish.
 *
 * The host owns every socket.  A module never touches a descriptor of the
 * host: it reads the request's buffered input (ms_peek, ms_consume,
 * ms_readline, ms_eof) and appends to its output (ms_write, ms_printf,
 * ms_sendfile).  This is why one .so runs unchanged under every model:
 *
 *   thread  handle runs on the request's own thread: shared state needs locks.
 *   fork    handle runs in a child process per request: state stays there.
 *   select  handle runs on the event loop: it must never block (or the
 *           module sets MS_F_BLOCKING, see below).
 *
 * Build a module with:  cc -shared -fPIC -I<dir of modserv.h> m.c -o m.so
 */
#ifndef MODSERV_H
#define MODSERV_H

#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A newer minor adds to the end of struct ms_module or struct ms_option,
 * adds functions or option types (1.1: ms_host_state; 1.2: ms_peek_mut;
 * 1.3: min, max and choices in struct ms_option, MS_OPT_ENV,
 * MS_OPT_ENV_NAMES, ms_environ, ms_program_find, ms_opt_fd; 1.4:
 * struct ms_limits, ms_spawn, ms_spawn_end, ms_option.check; 1.5:
 * ms_tls_var); a newer major
 * breaks.  The host reads a module built against an older minor in that
 * minor's layout: it loads unchanged. */
#define MODSERV_ABI_MAJOR 1
#define MODSERV_ABI_MINOR 5

#if defined(__GNUC__)
#define MS_API __attribute__((visibility("default")))
#define MS_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define MS_API
#define MS_PRINTF(f, a)
#endif

/* One accepted connection, or one datagram.  Opaque. */
typedef struct ms_request ms_request;
/* One configured service as seen by one worker process.  Opaque. */
typedef struct ms_service ms_service;

/* What handle returns.  Any negative value is an error: it is logged and
 * the request is finished (output already queued is still sent). */
#define MS_MORE 0  /* call handle again when more input arrives */
#define MS_CLOSE 1 /* send the queued output, then finish the request */
/* A negative value from setup or handle is an error; so is any other value
 * (logged once, with the module's name, after a worker starts). */

/* struct ms_module.flags: what the module supports and needs. */
#define MS_F_STREAM_ONLY 0x1u /* tcp and unix only */
#define MS_F_DGRAM_ONLY 0x2u  /* udp and unix-dgram only */
/* handle may block (runs a command, waits on a disk or another server) */
#define MS_F_BLOCKING 0x4u

/* Option types, for struct ms_option.type. */
enum ms_opt_type {
	MS_OPT_STR = 1, /* a string:  name = "text"; */
	MS_OPT_INT,     /* an integer: name = 42; (64-bit) */
	MS_OPT_BOOL,    /* a boolean: name = true; */
	MS_OPT_LIST,    /* a list of strings: name = [ "a", "b" ]; */
	MS_OPT_PATH,    /* a string naming a file or folder; a relative one is
	                   made absolute against the config file's folder.
	                   Read it with ms_opt_str. */
	/* A list of "NAME=value" environment entries: one without '=', or
	 * whose NAME is not letters, digits and '_' (not first a digit), or
	 * a NAME set twice, is refused.  Read it with ms_opt_list.  (1.3) */
	MS_OPT_ENV,
	/* A list of environment variable names, checked as MS_OPT_ENV's
	 * are.  Read it with ms_opt_list.  (1.3) */
	MS_OPT_ENV_NAMES,
};

/* One option a module takes.  The table ends with an entry whose name is
 * NULL.  The host checks the table when it loads the module: names are
 * unique, the type is one of enum ms_opt_type, the default parses as that
 * type and is allowed by min/max or choices, min <= max.  A table that
 * fails is refused, the module with it.  Then, before any module function
 * runs, it refuses a service whose `options` group names an option not in
 * the table, gives one of the wrong type or a value outside min/max or not
 * among choices, or leaves out a required one - under `modserv -t`, on a
 * reload and at start, with the config's file:line.  What init is handed
 * is therefore always what the table allows.
 *
 * Declare an option by position and the ABI 1.3 fields by name:
 *   {"timeout", MS_OPT_INT, "5", 0, "seconds a command may run",
 *       .min = 1, .max = 3600},
 *   {"framing", MS_OPT_STR, "read", 0, "read or line",
 *       .choices = MS_CHOICES("read", "line")}, */
struct ms_option {
	const char *name;
	int type;         /* enum ms_opt_type */
	const char *def;  /* default as text ("5", "true", "hi"); NULL: none
	                     (then ms_opt_* returns NULL / 0 / 0 / empty).
	                     An integer is read by strtoll in base 0 ("5",
	                     "0x10"), a boolean is "true", "false", "1" or
	                     "0"; a list's default is not read. */
	int required;     /* non-zero: the service must set it */
	const char *help; /* one line, shown by `modserv -M` and in the
	                     host's refusals of a value */
	/* Since ABI 1.3 (a module built against 1.0-1.2 has entries without
	 * them: the host reads its table as if they were 0 and NULL). */
	/* MS_OPT_INT: the least and the greatest value allowed, both
	 * included.  Both 0: any value.  A side without a bound: LLONG_MIN or
	 * LLONG_MAX.  Other types: both 0. */
	long long min, max;
	/* MS_OPT_STR, MS_OPT_LIST (each string of the list): the strings
	 * allowed, compared exactly, NULL-terminated (MS_CHOICES makes one).
	 * NULL: any string.  Other types: NULL. */
	const char *const *choices;
	/* Since ABI 1.4.  MS_OPT_STR, MS_OPT_LIST (each string of the list):
	 * a test of a value's form the host runs wherever it checks the
	 * configuration (`modserv -t`, at start, on reload, as the service's
	 * user, before init): 0 to take value, or -1 with why (a short
	 * phrase, NUL-terminated within whylen) to refuse it with the file
	 * and line.  It must not keep value nor depend on anything but it.
	 * NULL: any string.  Other types: NULL. */
	int (*check)(const char *value, char *why, size_t whylen);
};

/* A NULL-terminated list of strings for struct ms_option.choices. */
#define MS_CHOICES(...) ((const char *const[]){__VA_ARGS__, NULL})

struct ms_module {
	uint16_t abi_major;  /* MODSERV_ABI_MAJOR at build time */
	uint16_t abi_minor;  /* MODSERV_ABI_MINOR at build time */
	uint32_t size;       /* sizeof(struct ms_module) at build time */
	const char *name;    /* short name, as in the config's `module` */
	const char *summary; /* one line, shown by `modserv -M` and -t */
	unsigned flags;      /* MS_F_*; 0 = any transport, never blocks */
	/* The options it takes, of this header's struct ms_option (the host
	 * knows the shorter entries of older minors by abi_minor).  May be
	 * NULL: takes no options. */
	const struct ms_option *options;

	/* Once per worker process, before any request, after privileges are
	 * dropped.  Return 0, or -1 with a reason written into err: the worker
	 * then stops and the reason is logged.  May be NULL. */
	int (*init)(ms_service *svc, char *err, size_t errlen);
	/* Once per worker process at a clean stop.  May be NULL. */
	void (*fini)(ms_service *svc);
	/* A connection was accepted, or a datagram arrived.  May write a
	 * greeting.  Return 0 (MS_MORE), MS_CLOSE to send what it wrote and
	 * finish without waiting for input (a banner; since ABI 1.1), or -1
	 * to refuse the request (it is closed and finish is not called).
	 * May be NULL. */
	int (*setup)(ms_request *req);
	/* Input arrived (or the peer finished sending: see ms_eof).  Consume
	 * what it used, queue replies, return MS_MORE or MS_CLOSE.  Required.
	 * For a datagram it is called once, with the whole datagram and
	 * ms_eof() true; the output is sent back as one datagram. */
	int (*handle)(ms_request *req);
	/* Once for every request whose setup succeeded, after the last
	 * output was sent (or the peer went away).  May be NULL. */
	void (*finish)(ms_request *req);
};

/* Defines the one exported symbol with the ABI fields filled in:
 *   MODSERV_MODULE(.name = "echo", .summary = "...", .handle = echo_handle);
 */
#define MODSERV_MODULE(...)                                                    \
	MS_API const struct ms_module modserv_module = {                       \
	    .abi_major = MODSERV_ABI_MAJOR,                                    \
	    .abi_minor = MODSERV_ABI_MINOR,                                    \
	    .size = sizeof(struct ms_module),                                  \
	    __VA_ARGS__}

/* ---- Input.  Valid inside setup/handle; pointers stay valid until the
 * hook returns or the next ms_consume/ms_readline. ---- */

/* All buffered input; its length in *len (may be 0). */
MS_API const void *ms_peek(ms_request *req, size_t *len);
/* The same bytes, writable: a module that transforms its input may do it in
 * place, then ms_write and ms_consume them, without a buffer of its own
 * (ABI 1.2).  Bytes changed and not consumed are seen changed by the next
 * handle. */
MS_API void *ms_peek_mut(ms_request *req, size_t *len);
/* Drops the first n buffered bytes (n larger than what is buffered drops
 * all). */
MS_API void ms_consume(ms_request *req, size_t n);
/* The next line, '\n' included, consumed; its length in *len.  At end of
 * input the unterminated rest counts as a line.  NULL when no whole line is
 * buffered yet (return MS_MORE to wait for it). */
MS_API const char *ms_readline(ms_request *req, size_t *len);
/* Non-zero when the peer will send nothing more: it closed or shut down its
 * sending side, or the request is a datagram. */
MS_API int ms_eof(ms_request *req);

/* ---- Output.  Appended in order; the host sends it.  Return 0, or -1 with
 * errno set (ENOMEM; EMSGSIZE when a datagram reply would be too big). ---- */

MS_API int ms_write(ms_request *req, const void *buf, size_t len);
MS_API int ms_printf(ms_request *req, const char *fmt, ...) MS_PRINTF(2, 3);
MS_API int ms_vprintf(ms_request *req, const char *fmt, va_list ap)
    MS_PRINTF(2, 0);
/* Queues count bytes of the open file fd from offset.  The host takes
 * ownership of fd (closes it, also on error) and streams it after the output
 * queued before, zero-copy on stream sockets. */
MS_API int ms_sendfile(ms_request *req, int fd, off_t offset, size_t count);

/* ---- Handing the connection to a program (the inetd bridge) ---- */

/* Runs argv (no shell; a name without '/' is searched on the PATH of its
 * environment, ms_environ(req, env)) in a new process whose standard input
 * and output are the connection itself, as inetd does; its standard error
 * is modserv's log.  Output queued before is sent first.  Call it from
 * setup, before any input was read (else EBUSY); stream transports only
 * (else EINVAL).  From then on the request belongs to the program: handle
 * is not called, the host counts the request against max_clients until
 * the program exits, logs how it ended (a program not found on PATH
 * exits 127, logged with the PATH searched), then calls finish.  The
 * socket has no timeout of the host's on it.  Under every model, once no
 * bytes moved on the connection for the service's idle_timeout, the host
 * closes it and ends the program, logged as idle; to watch it the host
 * keeps a descriptor of the connection, so then the connection ends with
 * the program.  handle_timeout does not apply.  Whatever the program
 * starts, however it detaches (setsid, a double fork), is killed when it
 * ends, when it is ended at idle or at a stop, or when its worker dies (a
 * keeper, as ms_spawn's; since the 1.4 host).  Over TLS (since the 1.5
 * host) the program's standard input and output are one end of a socket
 * pair, in plaintext, and a relay process of the host's (modserv-relay in
 * ps) moves the bytes between it and the TLS connection, as stunnel's exec
 * does: the client's end of input reaches the program as the end of its
 * input, and the program's end of output closes the TLS connection with a
 * close_notify; the relay exits as the program did.  Returns 0, or -1 with
 * errno. */
MS_API int ms_exec(
    ms_request *req, const char *const *argv, const char *const *env);

/* The environment modserv gives a program it runs for req, and nothing of
 * modserv's own but what env passes: PATH=/usr/local/bin:/usr/bin:/bin;
 * the UCSPI variables - PROTO=TCP with TCPREMOTEIP, TCPREMOTEPORT,
 * TCPLOCALIP, TCPLOCALPORT, or PROTO=UNIX with UNIXREMOTEPID,
 * UNIXREMOTEEUID, UNIXREMOTEEGID - and MODSERV_SERVICE; on a TLS request
 * the ms_tls_var variables that have a value (SSL_PROTOCOL, SSL_CIPHER,
 * ..., as mod_ssl's StdEnvVars; since the 1.5 host); then env
 * (NULL-terminated; may be NULL): a "NAME=value" sets NAME (PATH too), a
 * bare "NAME" passes modserv's own NAME when it has one.  The UCSPI and
 * TLS variables win over env, a value over a passed one.  One allocation:
 * free() it.  NULL with errno ENOMEM.  Any model, any thread (ABI 1.3). */
MS_API char **ms_environ(ms_request *req, const char *const *env);
/* The file of program name, looked up as execvp would but on the PATH of
 * envp (from ms_environ), not modserv's: a name with '/' is itself.
 * Returns 0 with it in path, or -1 with errno and a reason in err:
 * ENOENT "not found in PATH=...", EACCES (found, not executable),
 * ENAMETOOLONG (ABI 1.3). */
MS_API int ms_program_find(char *const *envp, const char *name, char *path,
    size_t pathlen, char *err, size_t errlen);

/* ---- Running a program for its output (ABI 1.4) ---- */

/* Limits on a program ms_spawn runs, for it and each process it starts;
 * 0 leaves one as modserv has it, and none goes above modserv's own. */
struct ms_limits {
	unsigned long long address_space; /* bytes it may map (RLIMIT_AS) */
	unsigned long long cpu_seconds;   /* CPU time (RLIMIT_CPU: SIGXCPU,
	                                     a second later SIGKILL) */
	unsigned long long open_files;    /* descriptors (RLIMIT_NOFILE) */
	unsigned long long processes;     /* processes and threads it may
	  start: RLIMIT_NPROC set to its user's count at the start plus this
	  (in a PID namespace, what the user's contained programs and keepers
	  have; others started meanwhile count too; root: no bound) */
};

/* Runs path (a file, as ms_program_find gives it) with argv and envp,
 * fds[0], fds[1], fds[2] as its standard input, output and error (-1 or
 * fds NULL: /dev/null), no other descriptor of modserv, default signals,
 * and limits (may be NULL).  It runs under a keeper: whatever it starts,
 * however it detaches (setsid, a double fork), is killed when it ends, at
 * ms_spawn_end, or when the calling thread ends (PR_SET_PDEATHSIG) - its
 * worker's death included.  Returns a pid to waitpid() for the program's
 * own wait status (its exit code, or the signal that ended it), by then
 * with nothing of it left; or -1 with errno: fork's, or why the program
 * did not start (execve's ENOENT, EACCES, ENOEXEC, E2BIG; EAGAIN at the
 * processes limit).  Blocks until the program started.  Any model, any
 * thread. */
MS_API pid_t ms_spawn(const char *path, char *const *argv, char *const *envp,
    const int fds[3], const struct ms_limits *limits);
/* Ends a program of ms_spawn and everything it started (SIGKILL) and reaps
 * it; its wait status in *status (may be NULL).  0, or -1 with errno. */
MS_API int ms_spawn_end(pid_t pid, int *status);

/* ---- Context ---- */

/* The peer: "127.0.0.1:5000", "[::1]:5000", a unix socket path, or "unix"
 * for an unnamed unix peer. */
MS_API const char *ms_peer(const ms_request *req);
/* What the request's TLS connection says, by mod_ssl's variable name:
 * SSL_PROTOCOL ("TLSv1.3"), SSL_CIPHER (OpenSSL's name),
 * SSL_SESSION_RESUMED ("Initial" or "Resumed"), SSL_TLS_SNI, SSL_ALPN (the
 * protocol agreed), SSL_CLIENT_VERIFY ("NONE", "SUCCESS"),
 * SSL_CLIENT_S_DN and SSL_CLIENT_I_DN (RFC 2253: "CN=client,O=example"),
 * SSL_CLIENT_S_DN_CN, SSL_CLIENT_M_SERIAL (upper-case hexadecimal),
 * SSL_CLIENT_V_END ("Jan  1 00:00:00 2001 GMT").  NULL on a plaintext
 * request, for a name that is none of these, or where the value is not
 * there (no client certificate, no SNI, nothing agreed by ALPN).  The
 * string is the host's, valid until the request ends (finish included).
 * From setup on, any model, the thread that runs the request's hooks
 * (ABI 1.5). */
MS_API const char *ms_tls_var(ms_request *req, const char *name);
MS_API ms_service *ms_request_service(const ms_request *req);
/* Per-request data for the module, NULL at setup. */
MS_API void *ms_request_data(const ms_request *req);
MS_API void ms_request_set_data(ms_request *req, void *data);

/* The service's name, transport ("tcp", "udp", "unix", "unix-dgram") and
 * concurrency model ("thread", "fork", "select"). */
MS_API const char *ms_service_name(const ms_service *svc);
MS_API const char *ms_service_transport(const ms_service *svc);
MS_API const char *ms_service_model(const ms_service *svc);
/* Per-service data (per worker process), NULL at init. */
MS_API void *ms_service_data(const ms_service *svc);
MS_API void ms_service_set_data(ms_service *svc, void *data);

/* Options, as configured or else their declared default.  Asking for a
 * name the module did not declare, or as another type, returns NULL / 0.
 * ms_opt_str also reads MS_OPT_PATH options. */
MS_API const char *ms_opt_str(const ms_service *svc, const char *name);
MS_API long long ms_opt_int(const ms_service *svc, const char *name);
MS_API int ms_opt_bool(const ms_service *svc, const char *name);
/* A path option's file or folder, opened (O_PATH, close-on-exec) by the
 * host before it became the service's user: openat() beneath it reaches
 * what the user could not reach by name (a folder under /root).  -1 when
 * the option is not set (its default is not opened) or not a path.  The
 * host owns it: do not close it.  ABI 1.3. */
MS_API int ms_opt_fd(const ms_service *svc, const char *name);
/* A list option's strings; their number in *count.  Never NULL. */
MS_API const char *const *ms_opt_list(
    const ms_service *svc, const char *name, size_t *count);

/* ---- The server as a whole (ABI 1.1). ---- */
enum ms_host_state {
	MS_HOST_STARTING,  /* not every service's workers serve yet */
	MS_HOST_SERVING,   /* every service serves */
	MS_HOST_RELOADING, /* a reload swaps workers (no client is refused) */
	MS_HOST_STOPPING,  /* draining to stop: a balancer should move away */
};
MS_API int ms_host_state(const ms_service *svc);

/* ---- Log, through the host's log with the service's name. ---- */
enum ms_log_level { MS_LOG_ERROR, MS_LOG_WARN, MS_LOG_INFO, MS_LOG_DEBUG };
MS_API void ms_log(const ms_service *svc, int level, const char *fmt, ...)
    MS_PRINTF(3, 4);

#ifdef __cplusplus
}
#endif
#endif /* MODSERV_H */
