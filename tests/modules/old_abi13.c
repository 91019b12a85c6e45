/* old_abi13 - a module as one built against ABI 1.3 is: its table defined
 * by hand with that minor's layouts, where an option entry has min, max
 * and choices but no check (shorter than 1.4's).  The host must read it
 * with the stride of its minor, ranges and choices included. */
#include <stdint.h>

#include <modserv.h>

/* struct ms_option of ABI 1.3. */
struct option_1_3 {
	const char *name;
	int type;
	const char *def;
	int required;
	const char *help;
	long long min, max;
	const char *const *choices;
};

/* struct ms_module of ABI 1.0 to 1.4, its options of the 1.3 layout. */
struct module_1_3 {
	uint16_t abi_major, abi_minor;
	uint32_t size;
	const char *name, *summary;
	unsigned flags;
	const struct option_1_3 *options;
	int (*init)(ms_service *svc, char *err, size_t errlen);
	void (*fini)(ms_service *svc);
	int (*setup)(ms_request *req);
	int (*handle)(ms_request *req);
	void (*finish)(ms_request *req);
};

static const struct option_1_3 old_abi13_options[] = {
    {"count", MS_OPT_INT, "7", 0, "an integer", 1, 9, NULL},
    {"color", MS_OPT_STR, "red", 0, "a color", 0, 0, MS_CHOICES("red", "blue")},
    {"names", MS_OPT_LIST, NULL, 0, "a list of strings", 0, 0, NULL},
    {NULL, 0, NULL, 0, NULL, 0, 0, NULL},
};

static int
old_abi13_handle(ms_request *req)
{
	ms_service *svc = ms_request_service(req);

	ms_printf(req, "count=%lld color=%s\n", ms_opt_int(svc, "count"),
	    ms_opt_str(svc, "color"));
	return MS_CLOSE;
}

MS_API const struct module_1_3 modserv_module = {.abi_major = 1,
    .abi_minor = 3,
    .size = sizeof(struct module_1_3),
    .name = "old_abi13",
    .summary = "built against ABI 1.3",
    .options = old_abi13_options,
    .handle = old_abi13_handle};
