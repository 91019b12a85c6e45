/* main.c - the command line: check, describe, or serve. */
#include <errno.h>
#include <getopt.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "config.h"
#include "loader.h"
#include "log.h"
#include "master.h"
#include "model.h"
#include "paths.h"
#include "preopen.h"
#include "privs.h"
#include "service.h"
#include "status.h"
#include "tls_plan.h"
#include "transport.h"

static void
usage(FILE *out)
{
	fprintf(out,
	    "usage: modserv [-c FILE] [-t] [-f | -d] [-s] [-l LEVEL] [-M MODULE] [-V] [-h]\n"
	    "  -c FILE    configuration file (default %s)\n"
	    "  -t         check the configuration and modules, print the plan, exit\n"
	    "  -f         stay in the foreground (the default)\n"
	    "  -d         go to the background once serving (log a file or syslog)\n"
	    "  -s         print the running modserv's counters (from its status_socket)\n"
	    "  -l LEVEL   log level: error, warn, info, debug (overrides log_level)\n"
	    "  -M MODULE  describe a module (a name on module_path, or a path)\n"
	    "  -V         print the version\n"
	    "  -h         this help\n",
	    paths_conf());
}

static void
print_option(const struct option_value *o)
{
	printf("    option %s = ", o->name);
	switch (o->type) {
	case MS_OPT_STR:
		printf("\"%s\"\n", o->str);
		break;
	case MS_OPT_BOOL:
		printf("%s\n", o->num ? "true" : "false");
		break;
	case MS_OPT_INT:
		printf("%lld\n", o->num);
		break;
	default:
		printf("[");
		for (size_t i = 0; i < o->nlist; i++)
			printf("%s\"%s\"", i ? ", " : " ", o->list[i]);
		printf(" ]\n");
	}
}

static void
print_plan(const struct config *cfg)
{
	for (size_t i = 0; i < cfg->nservices; i++) {
		const struct service_conf *sc = &cfg->services[i];
		char addrs[ADDR_LIST_MAX * ADDR_TEXT_MAX];

		addr_list_format(sc->addrs, sc->naddrs, addrs, sizeof(addrs));
		printf("%s: %s %s, model %s, module %s (%s), max_clients %d%s",
		    sc->name, sc->transport->name, addrs, sc->model->name,
		    sc->module, sc->module_file, sc->max_clients,
		    sc->proxy_protocol ? ", PROXY protocol" : "");
		if (sc->workers > 1)
			printf(", %d workers", sc->workers);
		printf("\n");
		for (size_t j = 0; j < sc->noptions; j++)
			print_option(&sc->options[j]);
		tls_plan_print(stdout, sc);
	}
	printf("%s: configuration ok, %zu service%s\n", cfg->file,
	    cfg->nservices, cfg->nservices == 1 ? "" : "s");
}

/* Loads and describes the module at path.  Run by root, it does so in a
 * child that became nobody first: no module code runs as root. */
static int
describe_path(const char *path)
{
	struct service_conf nobody = {.user = "nobody", .switch_user = 1};
	struct passwd *pw = geteuid() == 0 ? getpwnam("nobody") : NULL;
	struct loaded_module lm;
	char err[1024];
	int fd = -1, status;
	pid_t pid, self = getpid();

	if (geteuid() == 0 && pw == NULL) {
		fprintf(stderr,
		    "modserv: %s: no user nobody to load it as (modserv runs no module code as root)\n",
		    path);
		return 1;
	}
	if (pw && (pid = fork()) != 0) {
		if (pid < 0) {
			fprintf(stderr, "modserv: fork: %s\n", strerror(errno));
			return 1;
		}
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
	}
	if (pw) {
		nobody.uid = pw->pw_uid;
		nobody.gid = pw->pw_gid;
		if ((fd = preopen_file(path, &nobody, err, sizeof(err))) < 0) {
			fprintf(stderr, "modserv: %s: %s\n", path, err);
			_exit(1);
		}
		if (privs_become(&nobody, self, SIGKILL, err, sizeof(err)) <
		    0) {
			fprintf(stderr, "modserv: %s\n", err);
			_exit(1);
		}
	}
	if (loader_open_fd(path, fd, &lm, err, sizeof(err)) < 0) {
		fprintf(stderr, "modserv: %s\n", err);
		status = 1;
	} else {
		loader_describe(stdout, &lm);
		loader_close(&lm);
		status = 0;
	}
	if (pw) {
		fflush(stdout);
		_exit(status);
	}
	return status;
}

/* Whether -M's argument is a file's path (with a '/', or ending in .so, as
 * "shout.so" in the current folder) rather than a module's name. */
static int
module_is_path(const char *module)
{
	size_t n = strlen(module);

	return strchr(module, '/') != NULL ||
	       (n > 3 && strcmp(module + n - 3, ".so") == 0);
}

static int
describe_module(const char *conf, const char *module)
{
	struct config cfg = {0};
	char err[1024], *path = NULL;
	int rc = 1;

	/* a bare name is looked up on the configuration's module_path, then
	 * in the default module folder */
	if (!module_is_path(module) &&
	    config_load(conf, &cfg, err, sizeof(err)) < 0)
		fprintf(stderr,
		    "modserv: %s (looking in the default module folder)\n",
		    err);
	if (module_is_path(module) && (path = malloc(strlen(module) + 3)))
		/* dlopen looks a name without '/' up on the library path */
		sprintf(path, "%s%s", strchr(module, '/') ? "" : "./", module);
	else if (config_find_module(&cfg, module, &path, err, sizeof(err)) < 0)
		fprintf(stderr, "modserv: %s\n", err);
	if (path)
		rc = describe_path(path);
	free(path);
	config_free(&cfg);
	return rc;
}

/* Whether the log goes to stderr, which -d leaves behind. */
static int
log_is_stderr(const struct config *cfg)
{
	return cfg->log == NULL || strcmp(cfg->log, "stderr") == 0;
}

int
main(int argc, char **argv)
{
	const char *conf = paths_conf(), *module = NULL;
	int check = 0, background = 0, foreground = 0, status = 0, level = -1;
	int c, rc;
	char *absolute = NULL;
	struct config cfg;
	char err[1024];

	while ((c = getopt(argc, argv, "c:tfdsl:M:Vh")) != -1) {
		switch (c) {
		case 'c':
			conf = optarg;
			break;
		case 't':
			check = 1;
			break;
		case 'f':
			foreground = 1;
			break;
		case 'd':
			background = 1;
			break;
		case 's':
			status = 1;
			break;
		case 'l':
			if ((level = log_level_parse(optarg)) < 0) {
				fprintf(stderr,
				    "modserv: -l %s: not one of error, warn, info, debug\n",
				    optarg);
				return 1;
			}
			break;
		case 'M':
			module = optarg;
			break;
		case 'V':
			printf("modserv %s (module ABI %d.%d)\n",
			    MODSERV_VERSION, MODSERV_ABI_MAJOR,
			    MODSERV_ABI_MINOR);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "modserv: unexpected argument \"%s\"\n",
		    argv[optind]);
		usage(stderr);
		return 1;
	}
	if (background && foreground) {
		fprintf(stderr,
		    "modserv: -d and -f: the background or the foreground, not both\n");
		usage(stderr);
		return 1;
	}
	if (module)
		return describe_module(conf, module);
	/* in the background the working folder is /: the file (and what it
	 * names relative to itself) must be found from there, on reload too */
	if (background && !check && (absolute = realpath(conf, NULL)) != NULL)
		conf = absolute;
	if (config_load(conf, &cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "modserv: %s\n", err);
		free(absolute);
		return 1;
	}
	if (background && !check && !status && log_is_stderr(&cfg)) {
		fprintf(stderr,
		    "modserv: %s: -d with log = \"stderr\": the background has no terminal to write to; set log to a file or \"syslog\", or stay in the foreground\n",
		    cfg.file);
		config_free(&cfg);
		free(absolute);
		return 1;
	}
	if (status) {
		rc = status_query(&cfg);
		config_free(&cfg);
		free(absolute);
		return rc;
	}
	log_set_level(level >= 0 ? level : cfg.log_level);
	if (config_check_users(&cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "modserv: %s\n", err);
		config_free(&cfg);
		free(absolute);
		return 1;
	}
	if (!check) {
		rc = master_run(conf, level, background, &cfg);
		free(absolute);
		return rc;
	}
	if (check_modules_apart(&cfg, err, sizeof(err)) < 0 ||
	    tls_plan_check(&cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "modserv: %s\n", err);
		rc = 1;
	} else {
		print_plan(&cfg);
		rc = 0;
	}
	config_free(&cfg);
	free(absolute);
	return rc;
}
