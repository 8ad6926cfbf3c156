"""Plan schema: event and censoring rules of duration of response and time to response, as plan data.

A duration-of-response or time-to-response endpoint declares its ``episode``: the response it is about, where
time starts, and for every way the episode can end whether that end is an **event**, a **censoring**, or is
**ignored** (the data after it are used as observed), with the date used. Nothing is left to a default: a
statistician signs each line, the derivation (:func:`sap.derive.episodes.derive_response_episodes`) reads only
these parameters, and the SAP document prints them from the same object (:meth:`EpisodeRules.sentences`).

* ``start: first_response`` (duration of response, among responders): time zero is the first visit with an
  observed response that counts; ``ends.loss_of_response`` is the first later visit with an observed non-response.
* ``start: first_dose`` (time to response, every subject): time zero is study day 1; ``ends.response`` is the
  first visit with an observed response.
* ``rescue``, ``discontinuation``, ``death`` (ADSL RESCDT, EOSDT/DCSDT with EOSSTT, DTHDT) and ``missed_visit``
  (a scheduled visit inside the episode without an evaluable assessment) end it as declared.
* Dates: ``assessment`` (the visit at which the end is seen), ``event_day`` (the intercurrent event's own study
  day; when it is not recorded the last assessment is used and the record says so), ``last_assessment`` (the
  last assessment that counts before the end: with a response for duration of response, any evaluable one for
  time to response), ``target_day`` (the missed visit's scheduled day).
* The earliest end wins (ties in the order of :data:`END_ORDER`); with no end the record is censored at the
  last assessment that counts.

SAS/R equivalent: the CNSR/EVNTDESC rules of an ADaM ADTTE specification (``admiral::derive_param_tte`` with
``event_source`` / ``censor_source`` objects), analysed with PROC LIFETEST / ``survival::survfit``.
"""
from __future__ import annotations

from typing import Literal, Optional

from pydantic import Field, model_validator

from sap.spec_base import PlanModel

Cause = Literal["loss_of_response", "response", "rescue", "discontinuation", "death", "missed_visit"]
#: precedence when two ends fall on the same study day
END_ORDER: tuple[str, ...] = ("response", "loss_of_response", "rescue", "discontinuation", "death", "missed_visit")
#: the dates each cause may use
DATES: dict[str, tuple[str, ...]] = {
    "response": ("assessment",),
    "loss_of_response": ("assessment", "last_assessment"),
    "rescue": ("event_day", "last_assessment"),
    "discontinuation": ("event_day", "last_assessment"),
    "death": ("event_day", "last_assessment"),
    "missed_visit": ("target_day", "last_assessment"),
}
_CAUSE_TEXT = {"response": "the first visit with an observed response",
               "loss_of_response": "loss of response (the first later visit with an observed non-response)",
               "rescue": "rescue or prohibited therapy (ADSL RESCDT)",
               "discontinuation": "discontinuation of study or treatment (ADSL EOSSTT, EOSDT/DCSDT)",
               "death": "death (ADSL DTHDT)",
               "missed_visit": "a missed visit (a scheduled visit without an evaluable assessment)"}
_DATE_TEXT = {"assessment": "at the day of that assessment", "event_day": "at the day of the event",
              "last_assessment": "at the last assessment that counts before it",
              "target_day": "at the missed visit's target day"}


class EpisodeEnd(PlanModel):
    """One way an episode ends: ``outcome`` event, censored or ignored (data after it used as observed),
    and the ``date`` used (required unless ignored)."""

    outcome: Literal["event", "censored", "ignored"]
    date: Optional[Literal["assessment", "event_day", "last_assessment", "target_day"]] = None


class EpisodeEnds(PlanModel):
    """Every cause, declared (None only for the cause the start does not use)."""

    response: Optional[EpisodeEnd] = None
    loss_of_response: Optional[EpisodeEnd] = None
    rescue: EpisodeEnd
    discontinuation: EpisodeEnd
    death: EpisodeEnd
    missed_visit: EpisodeEnd


class EpisodeRules(PlanModel):
    """The ``episode`` block of a duration-of-response or time-to-response endpoint (module docstring)."""

    response: str = Field(min_length=1)
    start: Literal["first_response", "first_dose"]
    ends: EpisodeEnds
    text: str = ""

    @model_validator(mode="after")
    def _consistent(self) -> "EpisodeRules":
        main = "loss_of_response" if self.start == "first_response" else "response"
        other = "response" if main == "loss_of_response" else "loss_of_response"
        errors = []
        if getattr(self.ends, main) is None:
            errors.append(f"ends.{main} is required with start {self.start}")
        if getattr(self.ends, other) is not None:
            errors.append(f"ends.{other} does not apply with start {self.start}")
        for cause, end in self.declared():
            if cause in ("response", "loss_of_response") and end.outcome != "event":
                errors.append(f"ends.{cause}: outcome must be 'event'")
            if self.start == "first_dose" and cause != "response" and end.outcome == "event":
                errors.append(f"ends.{cause}: with start first_dose only the response is an event")
            if end.outcome == "ignored":
                if end.date is not None:
                    errors.append(f"ends.{cause}: an ignored end takes no date")
            elif end.date not in DATES[cause]:
                errors.append(f"ends.{cause}: date must be one of {', '.join(DATES[cause])} (got {end.date!r})")
        if errors:
            raise ValueError("episode: " + "; ".join(errors))
        return self

    def declared(self) -> list[tuple[str, EpisodeEnd]]:
        """(cause, end) for every declared cause, in :data:`END_ORDER`."""
        return [(c, getattr(self.ends, c)) for c in END_ORDER if getattr(self.ends, c) is not None]

    def sentences(self) -> list[str]:
        """The rules as the SAP document prints them."""
        start = ("Time zero is the first visit with an observed {r} response that counts (responders only)."
                 if self.start == "first_response" else
                 "Time zero is study day 1 (first dose); every subject contributes.").format(r=self.response)
        out = [start]
        for cause, end in self.declared():
            what = {"event": "is an event", "censored": "censors the record",
                    "ignored": "is ignored (the data after it are used as observed)"}[end.outcome]
            out.append(f"{_CAUSE_TEXT[cause][0].upper()}{_CAUSE_TEXT[cause][1:]} {what}"
                       + (f", {_DATE_TEXT[end.date]}" if end.date else "") + ".")
        out.append("Otherwise the record is censored at the last assessment that counts; the earliest end wins. "
                   "An event day that was not recorded is replaced by the last assessment, and the record says so.")
        return out


#: endpoint derivation -> the start its episode must declare
EPISODE_DERIVATIONS = {"response_duration": "first_response", "response_onset": "first_dose"}
#: analysis method -> the endpoint derivation it analyses
EPISODE_METHODS = {"response_duration": "response_duration", "time_to_response": "response_onset"}


def check_episode_references(plan) -> list[str]:
    """Cross-reference errors of the plan's episode rules: every duration/onset endpoint declares an episode whose
    start fits its derivation and whose response the plan derives; every duration/onset analysis names such an
    endpoint, and its ``options.response`` (if given) is that endpoint's response."""
    errors = []
    responses = set(plan.derivations.responses)
    eps = {e.id: e for e in plan.endpoints}
    for ep in plan.endpoints:
        start = EPISODE_DERIVATIONS.get(ep.derivation)
        if start is None:
            if ep.episode is not None:
                errors.append(f"endpoints[{ep.id}].episode: only a response_duration or response_onset endpoint "
                              "takes an episode")
            continue
        where = f"endpoints[{ep.id}].episode"
        if ep.episode is None:
            errors.append(f"{where}: a {ep.derivation} endpoint must declare its event and censoring rules "
                          f"(episode: {{response, start: {start}, ends: {{...}}}}; see sap/spec_episodes.py)")
            continue
        if ep.episode.start != start:
            errors.append(f"{where}.start: a {ep.derivation} endpoint starts at {start}, not {ep.episode.start}")
        if ep.episode.response not in responses:
            errors.append(f"{where}.response: {ep.episode.response!r} is not in derivations.responses")
    for an in plan.analyses:
        wanted = EPISODE_METHODS.get(an.method)
        if wanted is None:
            continue
        ep = eps.get(an.endpoint) if an.endpoint else None
        if ep is None or ep.derivation != wanted:
            errors.append(f"analyses[{an.id}].endpoint: method {an.method} needs a {wanted} endpoint")
            continue
        given = getattr(an.options, "response", None)
        if ep.episode is not None and given is not None and given != ep.episode.response:
            errors.append(f"analyses[{an.id}].options.response: {given!r} disagrees with endpoint {ep.id}'s "
                          f"episode.response {ep.episode.response!r}")
    return errors
