"""A dialogue policy that apologises when a custom action ran but sent nothing.

Rasa 3.6 logs an exception and stays silent when the action server cannot be reached, so the user would wait for
an answer that never comes. Every custom action of this assistant sends at least one message, so a turn in which
one ran and no bot message followed means it failed; this policy then predicts `action_default_fallback`, which
sends `utter_default` in the user's language (the `language` slot it sets) and forgets the failed turn."""

from __future__ import annotations

from typing import Any

from rasa.core.constants import POLICY_PRIORITY, RULE_POLICY_PRIORITY
from rasa.core.policies.policy import Policy, PolicyPrediction
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.shared.constants import UTTER_PREFIX
from rasa.shared.core.constants import ACTION_DEFAULT_FALLBACK_NAME, ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker

from actions.language import detect_language  # standard library only: importable from .venv-rasa


def silent_turn_text(tracker: DialogueStateTracker, custom_actions: set[str]) -> str | None:
    """The user's text when, since their last message (a real one, from a channel), a custom action ran and no
    bot message was sent."""
    custom_action_ran = False
    for event in reversed(tracker.applied_events()):
        if isinstance(event, BotUttered):
            return None
        if isinstance(event, ActionExecuted):
            if event.action_name == ACTION_LISTEN_NAME:
                return None
            custom_action_ran = custom_action_ran or event.action_name in custom_actions
        if isinstance(event, UserUttered):
            # Turns replayed from stories (training, `rasa test`) never run their actions and carry no message
            # id; only a message that came in through a channel has one.
            return (event.text or "") if custom_action_ran and event.message_id else None
    return None


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT], is_trainable=False)
class SilentActionApologyPolicy(Policy):
    """Predicts `action_default_fallback` with certainty after a custom action that said nothing."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """Above RulePolicy, so that its certain 'listen now' loses to the apology."""
        return {POLICY_PRIORITY: RULE_POLICY_PRIORITY + 1}

    def train(self, training_trackers: list[TrackerWithCachedStates], domain: Domain, **kwargs: Any) -> Resource:
        """Nothing to learn."""
        return self._resource

    def predict_action_probabilities(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        rule_only_data: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> PolicyPrediction:
        """Certain fallback after a silent custom action, no opinion otherwise."""
        probabilities = self._default_predictions(domain)
        custom_actions = {name for name in domain.user_actions if not name.startswith(UTTER_PREFIX)}
        text = silent_turn_text(tracker, custom_actions)
        if text is None:
            return self._prediction(probabilities)
        probabilities[domain.index_for_action(ACTION_DEFAULT_FALLBACK_NAME)] = 1.0
        return self._prediction(probabilities, events=[SlotSet("language", detect_language(text))])
