"""A FastAPI service whose LLM calls are logged to apimon.

    pip install fastapi uvicorn
    PYTHONPATH=/path/to/apimon/tools APIMON_URL=http://localhost:8001/api/log-request \
        uvicorn fastapi_app:app --port 8000
    curl -s -H 'Content-Type: application/json' -H 'X-User-Id: alice' \
        -d '{"prompt": "What is WAL mode?"}' http://localhost:8000/ask

Every call of /ask becomes one apimon record (source "web"): how long the
LLM took, which model, how many tokens, success or error.  Logging is fire
and forget: if apimon is down, /ask still answers, just as fast.
"""

import asyncio
import os
import random
from contextlib import asynccontextmanager
from typing import Optional

from fastapi import FastAPI, Header, HTTPException
from pydantic import BaseModel

from apimon_client import ApimonClient

apimon = ApimonClient(os.environ.get("APIMON_URL", "http://localhost:8001/api/log-request"),
                      token=os.environ.get("APIMON_TOKEN"), source="web")


@asynccontextmanager
async def lifespan(app: FastAPI):
    yield
    # Send what is still queued before the process goes away.
    apimon.close(timeout=2.0)


app = FastAPI(title="ask service", lifespan=lifespan)

MODEL = "gpt-4o-mini"


class AskIn(BaseModel):
    prompt: str


class AskOut(BaseModel):
    request_id: str
    answer: str
    input_tokens: int
    output_tokens: int


class LLMError(Exception):
    pass


async def call_llm(prompt: str, model: str = MODEL):
    """Stands in for your provider's SDK: (text, input_tokens, output_tokens)."""
    await asyncio.sleep(random.uniform(0.2, 1.5))
    if random.random() < 0.03:
        raise LLMError("upstream answered 500")
    words = prompt.split()
    return f"You asked about {' '.join(words[:5])}.", len(words) * 4 + 20, 60


@app.post("/ask", response_model=AskOut)
async def ask(body: AskIn, x_user_id: Optional[str] = Header(default=None)):
    # timed() measures the block and logs it when the block ends: status
    # "success", or "error" with the exception's text, which it re-raises.
    timer = apimon.timed(command="/ask " + body.prompt, user_id=x_user_id,
                         model=MODEL, provider="openai")
    try:
        async with timer as t:
            text, n_in, n_out = await call_llm(body.prompt)
            # apimon prices the call from the tokens (prices in its config).
            t.update(input_tokens=n_in, output_tokens=n_out)
    except LLMError as e:
        raise HTTPException(status_code=502, detail=str(e)) from e
    return AskOut(request_id=timer.request_id, answer=text,
                  input_tokens=n_in, output_tokens=n_out)
