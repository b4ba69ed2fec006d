"""Small BERT text classifiers (phrase or pair → yes/no), trained here from random configs or loaded pre-trained."""
