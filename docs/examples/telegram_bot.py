"""A Telegram bot (python-telegram-bot 20+) whose commands are logged to apimon.

    pip install python-telegram-bot
    PYTHONPATH=/path/to/apimon/tools TELEGRAM_TOKEN=123:ABC \
        APIMON_URL=http://apimon.example.com/api/log-request python3 telegram_bot.py

Each /ask, /help or unknown command is one apimon record with
source "telegram", the Telegram user id as user_id and the text typed as
command.  Logging never blocks the bot's event loop: log() only enqueues.
"""

import asyncio
import os

from telegram import Update
from telegram.ext import (Application, CommandHandler, ContextTypes,
                          MessageHandler, filters)

from apimon_client import ApimonClient

apimon = ApimonClient(os.environ.get("APIMON_URL", "http://localhost:8001/api/log-request"),
                      token=os.environ.get("APIMON_TOKEN"), source="telegram")
MODEL = "gpt-4o"


async def call_llm(question: str):
    """Stands in for your LLM SDK: (answer, input_tokens, output_tokens)."""
    await asyncio.sleep(0.5)
    return f"(answer to: {question})", 10 + 4 * len(question.split()), 50


def user_of(update: Update) -> str:
    return str(update.effective_user.id) if update.effective_user else "unknown"


async def ask(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    question = " ".join(context.args)
    if not question:
        apimon.log(status="error", execution_time=0.0, user_id=user_of(update),
                   command=update.message.text, error="empty question")
        await update.message.reply_text("Usage: /ask QUESTION")
        return
    try:
        # Measures the call; an exception is logged as status "error"
        # with its text, then re-raised to the except below.
        async with apimon.timed(user_id=user_of(update), command=update.message.text,
                                model=MODEL, provider="openai") as t:
            answer, n_in, n_out = await call_llm(question)
            t.update(input_tokens=n_in, output_tokens=n_out)
    except Exception:
        await update.message.reply_text("Sorry, the model failed; try again.")
        return
    await update.message.reply_text(answer)


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    with apimon.timed(user_id=user_of(update), command=update.message.text):
        await update.message.reply_text("/ask QUESTION: ask the model\n/help: this text")


async def unknown(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    apimon.log(status="error", execution_time=0.0, user_id=user_of(update),
               command=update.message.text, error="unknown command")
    await update.message.reply_text("Unknown command; try /help")


def main() -> None:
    app = Application.builder().token(os.environ["TELEGRAM_TOKEN"]).build()
    app.add_handler(CommandHandler("ask", ask))
    app.add_handler(CommandHandler(["help", "start"], help_command))
    app.add_handler(MessageHandler(filters.COMMAND, unknown))
    try:
        app.run_polling(allowed_updates=Update.ALL_TYPES)
    finally:
        apimon.close(timeout=2.0)


if __name__ == "__main__":
    main()
