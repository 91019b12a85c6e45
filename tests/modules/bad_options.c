/* bad_options - option tables broken on purpose, one a build: compiled with
 * -DBAD_<DEFECT> as bad_options_<defect>.so.  Each must be refused at load
 * with the entry and what is wrong with it. */
#include <modserv.h>

static const struct ms_option bad_options[] = {
    {"count", MS_OPT_INT, "5", 0, "an integer", .min = 1, .max = 9},
#if defined(BAD_DUPLICATE)
    {"word", MS_OPT_STR, NULL, 0, "a string"},
    {"count", MS_OPT_INT, NULL, 0, "the same name again"},
#elif defined(BAD_INT_DEFAULT)
    {"size", MS_OPT_INT, "5x", 0, "an integer"},
#elif defined(BAD_BOOL_DEFAULT)
    {"loud", MS_OPT_BOOL, "maybe", 0, "a boolean"},
#elif defined(BAD_RANGE_DEFAULT)
    {"size", MS_OPT_INT, "0", 0, "an integer", .min = 1, .max = 3600},
#elif defined(BAD_CHOICE_DEFAULT)
    {"framing", MS_OPT_STR, "word", 0, "a choice",
        .choices = MS_CHOICES("read", "line")},
#elif defined(BAD_TYPE)
    {"colour", 9, NULL, 0, "of no type modserv knows"},
#elif defined(BAD_MIN_MAX)
    {"size", MS_OPT_INT, NULL, 0, "a range upside down", .min = 10, .max = 1},
#elif defined(BAD_RANGE_TYPE)
    {"word", MS_OPT_STR, NULL, 0, "a range on a string", .min = 1, .max = 2},
#elif defined(BAD_CHOICE_TYPE)
    {"size", MS_OPT_INT, NULL, 0, "choices on an integer",
        .choices = MS_CHOICES("1", "2")},
#endif
    {0},
};

static int
bad_options_handle(ms_request *req)
{
	(void)req;
	return MS_CLOSE;
}

MODSERV_MODULE(.name = "bad_options", .summary = "a broken option table",
    .options = bad_options, .handle = bad_options_handle);
