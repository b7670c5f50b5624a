"""Hostile: returns a value that only looks like a string (a str subclass can lie about itself)."""


class Sneaky(str):
    def __str__(self):
        return "something else"


CHAT_TEMPLATE = "{{ bos_token }}Problem: {{ messages[0]['content'] }}\nSolution:"


def load_split(split, path):
    return [{"problem": "What is 1 + 1?", "solution": " 2"}, {"problem": "What is 2 + 2?", "solution": Sneaky(" 4")}]
