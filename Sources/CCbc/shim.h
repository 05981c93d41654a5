// COIN-OR CBC, the mixed-integer solver, through its C interface (Debian's coinor-libcbc-dev).
#include <coin/Cbc_C_Interface.h>
