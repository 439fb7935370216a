"""Generation through any OpenAI-compatible chat endpoint (OpenAI, Ollama, vLLM, llama.cpp).

Uses the official ``openai`` client with the configured base URL, key, model, timeout and
retry count, streaming the reply. Endpoint failures (down, timeout, HTTP errors, a stream
that is malformed or ends before a finish reason) become ``LLMError`` with a message that
says what to check; the client's own retry policy (``llm_retries``) applies before that.
With ``logprobs`` (when ``MIN_ANSWER_CONFIDENCE`` is set explicitly for the endpoint) the request asks for each token's
log-probability and puts them on ``Prompt.token_logprobs``; a server that sends none leaves
the answer unjudged by confidence.
"""

from __future__ import annotations

from collections.abc import Iterator

from index.errors import LLMError
from rag.generate.prompt import Prompt


class OpenAIGenerator:
    """Streams chat completions from an OpenAI-compatible server."""

    def __init__(
        self,
        model: str,
        base_url: str | None,
        api_key: str | None,
        timeout: float,
        retries: int,
        logprobs: bool = False,
    ) -> None:
        from openai import OpenAI

        self._logprobs = logprobs
        self._model = model
        self._base_url = base_url or "the OpenAI API"
        self._client = OpenAI(base_url=base_url, api_key=api_key or "not-needed", timeout=timeout, max_retries=retries)

    @property
    def name(self) -> str:
        return f"openai:{self._model}"

    def stream(self, prompt: Prompt, max_tokens: int) -> Iterator[str]:
        import openai
        from openai import omit

        try:
            reply = self._client.chat.completions.create(
                model=self._model,
                messages=prompt.messages,  # type: ignore[arg-type]
                max_tokens=max_tokens,
                temperature=0,
                stream=True,
                logprobs=True if self._logprobs else omit,
            )
            finished = False
            for chunk in reply:
                choices = getattr(chunk, "choices", None)
                scored = choices and choices[0].logprobs and choices[0].logprobs.content
                for item in scored or []:  # before the text they score, as the local generator does
                    prompt.token_logprobs.append((item.token, item.logprob))
                if choices and choices[0].delta and choices[0].delta.content:
                    yield choices[0].delta.content
                finished = finished or bool(choices and choices[0].finish_reason)
            if not finished:
                raise LLMError(
                    f"the chat endpoint at {self._base_url} ended its stream before finishing the answer: "
                    "check the server's log (it may have crashed or hit a limit)"
                )
        except LLMError:
            raise
        except openai.APITimeoutError as err:
            raise LLMError(
                f"the chat endpoint at {self._base_url} timed out: raise NEWSRAG_LLM_TIMEOUT or check the server"
            ) from err
        except openai.APIConnectionError as err:
            raise LLMError(f"cannot reach the chat endpoint at {self._base_url}: is the server running?") from err
        except openai.AuthenticationError as err:
            raise LLMError("the chat endpoint rejected the API key: check NEWSRAG_OPENAI_API_KEY") from err
        except openai.NotFoundError as err:
            raise LLMError(f"model {self._model!r} not found at {self._base_url}: check NEWSRAG_OPENAI_MODEL") from err
        except openai.APIStatusError as err:
            raise LLMError(f"the chat endpoint answered HTTP {err.status_code}: {err.message}") from err
        except openai.OpenAIError as err:
            raise LLMError(f"the chat endpoint failed: {err}") from err
        except Exception as err:  # a malformed stream surfaces as JSON or protocol errors from below
            raise LLMError(
                f"the chat endpoint at {self._base_url} sent a broken reply ({type(err).__name__}): "
                "check that it speaks the OpenAI chat API"
            ) from err
