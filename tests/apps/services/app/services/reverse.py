def apply(text):
    return text[::-1]
