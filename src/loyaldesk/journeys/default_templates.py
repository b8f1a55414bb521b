"""The messages of the built-in journeys, in the language a store asks for: short, warm, personal.

Every text is marked for translation (``kernel.i18n._``; ``make messages`` extracts it) and read in the
store's language when ``actions.templates.ensure_default_templates`` creates the store's copies, which the
store then edits as its own. The keys are what the built-in rules' send steps name.
"""

from __future__ import annotations

from dataclasses import dataclass

from loyaldesk.journeys.vocab import Channel
from loyaldesk.kernel.i18n import _, use_language


@dataclass(frozen=True)
class DefaultTemplate:
    key: str
    channel: Channel
    name: str
    subject: str
    body: str
    preheader: str = ""
    button_label: str = ""
    button_url: str = ""


EMAIL_KEYS = (
    "post_purchase_thanks",
    "review_request",
    "points_earned",
    "points_expiring_30",
    "points_expiring_7",
    "near_next_tier",
    "tier_up",
    "tier_drop_warning",
    "birthday",
    "winback",
    "abandoned_cart",
    "referral_nudge",
    "support_follow_up",
    "vip_early_access",
)
OTHER_KEYS = ("points_expiring_7_sms", "abandoned_cart_push", "points_expiring_widget")
KEYS = EMAIL_KEYS + OTHER_KEYS
MEMBER_URL = "{{ member_url }}"
# Products picked for the recipient (journeys.rendering.recommendations): nothing when they have none.
PICKS = "\n\n{{ recommendations }}"


def default_templates(language: str) -> dict[str, DefaultTemplate]:
    """Every built-in message, by key, in ``language`` (English for a language not shipped)."""
    with use_language(language):
        found = {template.key: template for template in _templates()}
    assert tuple(found) == KEYS
    return found


def _email(key: str, name: str, subject: str, preheader: str, body: str, *button: str) -> DefaultTemplate:
    label, url = button if button else ("", "")
    return DefaultTemplate(key, Channel.EMAIL, name, subject, body, preheader, label, url)


def _templates() -> list[DefaultTemplate]:
    hello = _("Hi {{ first_name | there }},")
    return [
        _email(
            "post_purchase_thanks",
            _("Thank you for your order"),
            _("Thank you for your order, {{ first_name | friend }}"),
            _("Your order {{ order_number }} is in good hands."),
            hello
            + "\n\n"
            + _(
                "Thank you for shopping with {{ store_name }}. Your order {{ order_number }} is in good "
                "hands, and it earned you points: you now have **{{ points }} points**."
            )
            + "\n\n"
            + _("If anything is not right, write to us and we will sort it out.")
            + PICKS,
            _("See my points"),
            MEMBER_URL,
        ),
        _email(
            "review_request",
            _("Review request"),
            _("How do you like your order?"),
            _("Two minutes of your time, and points as a thank-you."),
            hello
            + "\n\n"
            + _(
                "Your order {{ order_number }} should have arrived by now. Would you tell other shoppers "
                "what you think of it? Every honest review helps, and we add points to your account as a "
                "thank-you."
            ),
            _("Write a review"),
            "",
        ),
        _email(
            "points_earned",
            _("Points earned"),
            _("You earned points at {{ store_name }}"),
            _("Your balance is now {{ points }} points."),
            hello
            + "\n\n"
            + _("Good news: points just landed in your account. Your balance is now **{{ points }} points**.")
            + "\n\n"
            + _("Collect a few more and turn them into a reward on your next order."),
            _("See my rewards"),
            MEMBER_URL,
        ),
        _email(
            "points_expiring_30",
            _("Points expiring in 30 days"),
            _("{{ first_name | Hi }}, {{ expiring_points }} points expire on {{ expiring_on }}"),
            _("There is still a month to use them."),
            hello
            + "\n\n"
            + _(
                "A friendly reminder: **{{ expiring_points }} of your points** expire on {{ expiring_on }}. "
                "You have {{ points }} points in all, and a month left to turn them into a reward."
            )
            + PICKS,
            _("Use my points"),
            MEMBER_URL,
        ),
        _email(
            "points_expiring_7",
            _("Points expiring in 7 days"),
            _("One week left: {{ expiring_points }} points expire on {{ expiring_on }}"),
            _("Use them before they are gone."),
            hello
            + "\n\n"
            + _(
                "Your **{{ expiring_points }} points** expire on {{ expiring_on }}, one week from now. "
                "Spend them on your next order before they are gone."
            )
            + PICKS,
            _("Use my points"),
            MEMBER_URL,
        ),
        _email(
            "near_next_tier",
            _("Close to the next tier"),
            _("You are {{ next_tier_gap }} away from {{ next_tier }}"),
            _("So close to your next tier."),
            hello
            + "\n\n"
            + _(
                "You are almost there: spend {{ next_tier_gap }} more and you reach **{{ next_tier }}**, "
                "with everything that comes with it."
            ),
            _("See my progress"),
            MEMBER_URL,
        ),
        _email(
            "tier_up",
            _("New tier reached"),
            _("Welcome to {{ tier }}, {{ first_name | friend }}!"),
            _("Your new benefits are waiting."),
            hello
            + "\n\n"
            + _(
                "Congratulations: you have reached **{{ tier }}**. Thank you for being such a loyal "
                "customer of {{ store_name }}. Your new benefits are waiting for you."
            ),
            _("See my benefits"),
            MEMBER_URL,
        ),
        _email(
            "tier_drop_warning",
            _("Tier about to drop"),
            _("Keep your {{ tier }} status"),
            _("One more order keeps your benefits."),
            hello
            + "\n\n"
            + _(
                "Your **{{ tier }}** status is up for renewal soon. One more order keeps you at {{ tier }}, "
                "with all its benefits."
            ),
            _("See my status"),
            MEMBER_URL,
        ),
        _email(
            "birthday",
            _("Birthday"),
            _("Happy birthday, {{ first_name | friend }}!"),
            _("A little gift from us."),
            hello
            + "\n\n"
            + _(
                "Everyone at {{ store_name }} wishes you a wonderful birthday. We have put a little gift "
                "in your account: have a look."
            ),
            _("Open my gift"),
            MEMBER_URL,
        ),
        _email(
            "winback",
            _("Win-back"),
            _("We miss you, {{ first_name | friend }}"),
            _("Your points are still waiting for you."),
            hello
            + "\n\n"
            + _(
                "It has been a while since your last visit to {{ store_name }}. A lot is new, and your "
                "{{ points }} points are still waiting for you."
            )
            + PICKS,
            _("See what is new"),
            MEMBER_URL,
        ),
        _email(
            "abandoned_cart",
            _("Abandoned cart"),
            _("You left something behind"),
            _("Your cart is saved for you."),
            hello
            + "\n\n"
            + _(
                "Your cart at {{ store_name }} is saved and waiting for you. Questions about sizes, "
                "delivery or anything else? Write to us: we are happy to help."
            ),
            _("Back to my cart"),
            "",
        ),
        _email(
            "referral_nudge",
            _("Referral nudge"),
            _("Give your friends a treat"),
            _("They get a welcome gift, you get points."),
            hello
            + "\n\n"
            + _(
                "Do your friends know {{ store_name }} yet? Share your personal link: they get a welcome "
                "gift, and you earn points when they place their first order."
            ),
            _("Share my link"),
            "{{ referral_url }}",
        ),
        _email(
            "support_follow_up",
            _("Follow-up after a support case"),
            _("Is everything fine now, {{ first_name | friend }}?"),
            _("We want to be sure your question is answered."),
            hello
            + "\n\n"
            + _(
                "A few days ago we helped you with a question. We hope everything is fine now. If anything "
                "is still open, write to us and we will pick it up again."
            ),
        ),
        _email(
            "vip_early_access",
            _("VIP early access"),
            _("Early access for you, {{ first_name | friend }}"),
            _("You get in before everyone else."),
            hello
            + "\n\n"
            + _(
                "As a **{{ tier }}** member you get in before everyone else: our new collection is open to "
                "you now, days before it goes public."
            ),
            _("See my benefits"),
            MEMBER_URL,
        ),
        DefaultTemplate(
            "points_expiring_7_sms",
            Channel.SMS,
            _("Points expiring in 7 days (SMS)"),
            "",
            _(
                "{{ store_name }}: {{ first_name | Hi }}, {{ expiring_points }} points expire on "
                "{{ expiring_on }}. Use them: {{ member_url }}"
            ),
        ),
        DefaultTemplate(
            "abandoned_cart_push",
            Channel.PUSH,
            _("Abandoned cart (push)"),
            _("Your cart is waiting"),
            _("The items in your cart at {{ store_name }} are saved for you."),
        ),
        DefaultTemplate(
            "points_expiring_widget",
            Channel.WIDGET,
            _("Points expiring (chat widget)"),
            _("{{ expiring_points }} points expire soon"),
            _("{{ first_name | Hi }}, use your points before {{ expiring_on }}."),
            button_label=_("Use my points"),
            button_url=MEMBER_URL,
        ),
    ]
