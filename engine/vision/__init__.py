"""Pretrained vision models and safe image loading: an ImageNet CNN for the CNN and style-transfer pages."""
