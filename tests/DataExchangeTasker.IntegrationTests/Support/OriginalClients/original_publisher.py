"""The Scala tasker's Django publisher (v0.1), reduced to its broker calls, exactly as it makes them.

A new blocking connection per message; publish to the exchange <todo> with routing key <todo>, content_type
application/json, delivery_mode 1 (transient); close. It declares nothing.

Usage: original_publisher.py AMQP_URI TODO_NAME JSON_BODY
"""
import sys

import pika

uri, todo, body = sys.argv[1], sys.argv[2], sys.argv[3]
connection = pika.BlockingConnection(pika.URLParameters(uri))
channel = connection.channel()
channel.basic_publish(
    exchange=todo,
    routing_key=todo,
    body=body.encode("utf-8"),
    properties=pika.BasicProperties(content_type="application/json", delivery_mode=1),
)
connection.close()
print("PUBLISHED", flush=True)
