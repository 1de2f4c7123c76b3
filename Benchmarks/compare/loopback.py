"""This machine's loopback TCP limit: one stream, 1 MiB writes, read into a large buffer.
Prints bytes per second.

    loopback.py SECONDS
"""
import socket
import sys
import threading
import time

seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 2.0
listener = socket.create_server(("127.0.0.1", 0))
port = listener.getsockname()[1]
received = 0
stop = threading.Event()


def sink():
    global received
    connection, _ = listener.accept()
    buffer = bytearray(4 << 20)
    view = memoryview(buffer)
    while True:
        count = connection.recv_into(view)
        if count == 0:
            return
        received += count


reader = threading.Thread(target=sink)
reader.start()
sender = socket.create_connection(("127.0.0.1", port))
chunk = memoryview(bytes(1 << 20))
warm_end = time.monotonic() + 0.5
while time.monotonic() < warm_end:
    sender.sendall(chunk)
start_bytes, start = received, time.monotonic()
end = start + seconds
while time.monotonic() < end:
    sender.sendall(chunk)
elapsed, total = time.monotonic() - start, received - start_bytes
sender.close()
reader.join()
print(f"{total / elapsed:.0f}")
