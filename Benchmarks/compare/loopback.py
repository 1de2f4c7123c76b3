"""This machine's loopback TCP limit: one stream, 1 MiB writes, read into a 4 MiB buffer, the
sender and the receiver in separate processes (threads of one process would share the GIL).
Prints bytes per second.

    loopback.py SECONDS
"""
import os
import socket
import sys
import time

seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 2.0
listener = socket.create_server(("127.0.0.1", 0))
port = listener.getsockname()[1]
report_read, report_write = os.pipe()

if os.fork() == 0:  # the receiver: counts bytes in the measured window, reports them, exits
    connection, _ = listener.accept()
    view = memoryview(bytearray(4 << 20))
    received, start, marks = 0, None, {}
    while count := connection.recv_into(view):
        received += count
        now = time.monotonic()
        if start is None and received >= 512 << 20:  # warm-up: the first 512 MiB
            start, marks["bytes"] = now, received
    elapsed = now - start
    os.write(report_write, f"{(received - marks['bytes']) / elapsed:.0f}".encode())
    os._exit(0)

sender = socket.create_connection(("127.0.0.1", port))
chunk = memoryview(bytes(1 << 20))
end = time.monotonic() + 0.5 + seconds
while time.monotonic() < end:
    sender.sendall(chunk)
sender.close()
os.wait()
print(os.read(report_read, 64).decode())
