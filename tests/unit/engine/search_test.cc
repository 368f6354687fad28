#include "engine_test_util.h"
