#include <zmq.h>
// eventfd wakes a SocketLoop's poller from other threads; Glibc's Swift module does not export it.
#include <sys/eventfd.h>
