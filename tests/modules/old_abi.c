/* old_abi - a module as one built against ABI 1.2 is: its table defined by
 * hand with that minor's layouts, where an option entry has five fields
 * (shorter than 1.3's).  The host must read it with the stride of its
 * minor; it replies with its options as ms_opt_* return them. */
#include <stdint.h>

#include <modserv.h>

/* struct ms_option of ABI 1.0 to 1.2. */
struct option_1_2 {
	const char *name;
	int type;
	const char *def;
	int required;
	const char *help;
};

/* struct ms_module of ABI 1.0 to 1.2, its options of the old layout. */
struct module_1_2 {
	uint16_t abi_major, abi_minor;
	uint32_t size;
	const char *name, *summary;
	unsigned flags;
	const struct option_1_2 *options;
	int (*init)(ms_service *svc, char *err, size_t errlen);
	void (*fini)(ms_service *svc);
	int (*setup)(ms_request *req);
	int (*handle)(ms_request *req);
	void (*finish)(ms_request *req);
};

static const struct option_1_2 old_abi_options[] = {
    {"word", MS_OPT_STR, "bird", 0, "a string"},
    {"count", MS_OPT_INT, "7", 0, "an integer"},
    {"loud", MS_OPT_BOOL, "true", 0, "a boolean"},
    {"names", MS_OPT_LIST, NULL, 0, "a list of strings"},
    {"dir", MS_OPT_PATH, NULL, 1, "a path"},
    {NULL, 0, NULL, 0, NULL},
};

static int
old_abi_handle(ms_request *req)
{
	ms_service *svc = ms_request_service(req);
	size_t n;

	ms_opt_list(svc, "names", &n);
	ms_printf(req, "word=%s count=%lld loud=%d names=%zu dir=%s\n",
	    ms_opt_str(svc, "word"), ms_opt_int(svc, "count"),
	    ms_opt_bool(svc, "loud"), n, ms_opt_str(svc, "dir"));
	return MS_CLOSE;
}

MS_API const struct module_1_2 modserv_module = {.abi_major = 1,
    .abi_minor = 2,
    .size = sizeof(struct module_1_2),
    .name = "old_abi",
    .summary = "built against ABI 1.2",
    .options = old_abi_options,
    .handle = old_abi_handle};
