// Linux's epoll, which Glibc's Swift module does not carry. Used by EventLoopHTTP's SocketPoller only.
#include <sys/epoll.h>
