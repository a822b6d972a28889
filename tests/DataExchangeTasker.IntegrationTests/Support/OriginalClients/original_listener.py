"""The Scala tasker's Django listener (v0.1), reduced to its broker calls, exactly as it makes them.

queue_declare(queue=<done>) with pika's defaults (non-durable, not exclusive, not auto-delete), then
basic_consume(auto_ack=True). Prints DECLARED once the declaration succeeded and one MESSAGE <json> line per done
message; exits 0 after <count> messages, 3 at the deadline, and crashes (non-zero, traceback) when the broker
refuses the declaration, as the original does.

Usage: original_listener.py AMQP_URI DONE_QUEUE COUNT DEADLINE_SECONDS
"""
import json
import sys

import pika

uri, queue, count, deadline = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
connection = pika.BlockingConnection(pika.URLParameters(uri))
channel = connection.channel()
channel.queue_declare(queue=queue)
print("DECLARED", flush=True)
received = 0


def on_message(ch, method, properties, body):
    global received
    # One line per message whatever the body's own formatting.
    print("MESSAGE " + json.dumps(json.loads(body)), flush=True)
    received += 1
    if received >= count:
        ch.stop_consuming()


channel.basic_consume(queue=queue, on_message_callback=on_message, auto_ack=True)
connection.call_later(deadline, channel.stop_consuming)
channel.start_consuming()
connection.close()
sys.exit(0 if received >= count else 3)
