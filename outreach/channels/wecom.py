"""WeChat Work (企业微信) group robot: a markdown message POSTed to the group's webhook URL
(settings.OUTREACH_WECOM_WEBHOOK_URL, env WECOM_WEBHOOK_URL). The message's address, when set, is the mobile
number the robot @-mentions. Answer {"errcode": 0} is taken; 45009 (frequency limit) and -1 (busy) retry."""
import os

from django.conf import settings

from . import ChannelDown, Rejected
from .http import post_json

RETRY_CODES = {-1, 45009}


def webhook_url():
    return getattr(settings, "OUTREACH_WECOM_WEBHOOK_URL", "") or os.environ.get("WECOM_WEBHOOK_URL", "")


class WeComChannel:
    def send(self, message):
        content = f"**{message.subject}**\n{message.body}" if message.subject else message.body
        payload = {"msgtype": "text", "text": {"content": content[:2000]}}
        if message.address:
            payload["text"]["mentioned_mobile_list"] = [message.address]
        answer = post_json(webhook_url(), payload)
        code = answer.get("errcode", 0)
        if code in RETRY_CODES:
            raise ChannelDown(f"errcode {code}: {answer.get('errmsg', '')}"[:300])
        if code:
            raise Rejected(f"errcode {code}: {answer.get('errmsg', '')}"[:300])
