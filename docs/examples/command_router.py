#!/usr/bin/env python3
"""A chat-command router (/ask, /help, /stats, ...) whose commands are
logged to apimon with their source and user.

Try it against `make run`:

    PYTHONPATH=tools python3 docs/examples/command_router.py --source discord --user alice
    /ask what is a WAL?
    /help
    ^D

The router is the part a Discord, WeChat or Slack bot shares: the bot turns
an incoming message into route(user_id, text) and sends back what it returns.
Every command is one apimon record: `command` is the text typed, `source`
the chat service, `user_id` who typed it; only /ask calls the LLM, so only
it has a model and tokens.
"""

import argparse
import os
import random
import sys
import time

try:
    from apimon_client import ApimonClient
except ImportError:     # run from the source tree without PYTHONPATH
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                    "..", "..", "tools"))
    from apimon_client import ApimonClient

MODEL = "claude-3-5-haiku"


def fake_llm(question):
    """Stands in for your LLM SDK: (answer, input_tokens, output_tokens)."""
    time.sleep(random.uniform(0.05, 0.3))
    if "fail" in question:
        raise RuntimeError("model overloaded")
    return f"(answer to: {question})", 12 + 4 * len(question.split()), 40


class Router:
    def __init__(self, apimon):
        self.apimon = apimon
        self.asked = {}
        self.commands = {"/ask": self.ask, "/help": self.help,
                         "/stats": self.stats, "/start": self.help}

    def route(self, user_id, text):
        """Answer one message; log it whatever happens.  Never raises."""
        text = text.strip()
        name, _, arg = text.partition(" ")
        handler = self.commands.get(name.lower())
        if handler is None:
            self.apimon.log(status="error", execution_time=0.0, user_id=user_id,
                            command=text, error="unknown command")
            return f"Unknown command {name}; try /help"
        try:
            # /ask adds its model and tokens through t.update().
            with self.apimon.timed(user_id=user_id, command=text) as t:
                return handler(user_id, arg.strip(), t)
        except Exception as e:      # already logged as status "error"
            return f"Sorry, that failed: {e}"

    def ask(self, user_id, question, t):
        if not question:
            t.status = "error"
            t.update(error="empty question")
            return "Usage: /ask QUESTION"
        t.update(model=MODEL, provider="anthropic")
        answer, n_in, n_out = fake_llm(question)
        t.update(input_tokens=n_in, output_tokens=n_out)
        self.asked[user_id] = self.asked.get(user_id, 0) + 1
        return answer

    def help(self, user_id, arg, t):
        return "Commands: " + ", ".join(sorted(self.commands))

    def stats(self, user_id, arg, t):
        return f"You asked {self.asked.get(user_id, 0)} questions."


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--url", default=os.environ.get(
        "APIMON_URL", "http://localhost:8001/api/log-request"))
    p.add_argument("--token", default=os.environ.get("APIMON_TOKEN"))
    p.add_argument("--source", default="discord")
    p.add_argument("--user", default="demo-user")
    a = p.parse_args()
    apimon = ApimonClient(a.url, token=a.token, source=a.source)
    router = Router(apimon)
    for line in sys.stdin:
        if line.strip():
            print(router.route(a.user, line), flush=True)
    apimon.close(timeout=2.0)
    print(f"apimon: {apimon.stats}", file=sys.stderr)


if __name__ == "__main__":
    main()
