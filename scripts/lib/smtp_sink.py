"""A local SMTP server that keeps every mail it receives and sends nothing on.

Started by scripts/lib/benchmark.py as the benchmark databases' outgoing mail
server, so that the invoices' mails are really made and handed over by
Odoo's SMTP client, and counted, without leaving the machine. Each mail is
written as a ``.eml`` file in the folder given (written under a temporary
name, then renamed: a reader never sees half a mail).

    python smtp_sink.py FOLDER PORT_FILE

listens on 127.0.0.1 on a free port and writes the port to PORT_FILE once
it listens. It speaks the little of SMTP that Python's ``smtplib`` uses
(EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT), without TLS or login.
"""

import asyncio
import itertools
import os
import sys
from pathlib import Path

COUNTER = itertools.count(1)


async def read_data(reader):
    """The message of a DATA command, dot-unstuffed, up to its lone dot."""
    lines = []
    while True:
        line = await reader.readline()
        if not line or line in (b".\r\n", b".\n"):
            return b"".join(lines)
        if line.startswith(b".."):
            line = line[1:]
        lines.append(line)


def keep(folder, data):
    name = f"{os.getpid()}-{next(COUNTER):07d}"
    part = folder / f".{name}.tmp"
    part.write_bytes(data)
    part.rename(folder / f"{name}.eml")


async def session(reader, writer, folder):
    def reply(text):
        writer.write(f"{text}\r\n".encode())

    reply("220 smtp-sink ready")
    try:
        while True:
            await writer.drain()
            line = await reader.readline()
            if not line:
                break
            verb = line.strip().split(b" ", 1)[0].upper()
            if verb == b"EHLO":
                reply("250-smtp-sink\r\n250-8BITMIME\r\n250 SIZE 104857600")
            elif verb in (b"HELO", b"MAIL", b"RCPT", b"RSET", b"NOOP"):
                reply("250 OK")
            elif verb == b"DATA":
                reply("354 end with <CRLF>.<CRLF>")
                await writer.drain()
                keep(folder, await read_data(reader))
                reply("250 OK kept")
            elif verb == b"QUIT":
                reply("221 bye")
                break
            else:
                reply("502 not implemented")
        await writer.drain()
    except ConnectionError:
        pass
    finally:
        writer.close()


async def serve(folder, port_file):
    server = await asyncio.start_server(
        lambda reader, writer: session(reader, writer, folder), "127.0.0.1", 0
    )
    port = server.sockets[0].getsockname()[1]
    Path(port_file).write_text(f"{port}\n")
    async with server:
        await server.serve_forever()


def main(argv):
    folder, port_file = Path(argv[0]), argv[1]
    folder.mkdir(parents=True, exist_ok=True)
    asyncio.run(serve(folder, port_file))


if __name__ == "__main__":
    main(sys.argv[1:])
