#!/bin/sh
# Containers start no services: refuse every init script (as the official images do).
exit 101
